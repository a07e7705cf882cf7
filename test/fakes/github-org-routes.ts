/**
 * Organization membership for the fake GitHub (`GET /orgs/{org}/members/{username}`): 204 for a member, 404
 * otherwise, as GitHub answers an installation of an app with the `members` permission. Seed with `addOrgMember`.
 */
import type { FakeGitHubState } from "./github-state.js";
import type { RouteHandler } from "./github-routes.js";

const members = new WeakMap<FakeGitHubState, Map<string, Set<string>>>();

export function addOrgMember(state: FakeGitHubState, org: string, user: string): void {
  let orgs = members.get(state);
  if (!orgs) members.set(state, (orgs = new Map()));
  const set = orgs.get(org.toLowerCase()) ?? new Set<string>();
  set.add(user.toLowerCase());
  orgs.set(org.toLowerCase(), set);
  state.addUser(user);
}

export const orgRoutes: Record<string, RouteHandler> = {
  "orgs/check-membership-for-user": (ctx) => {
    const org = (ctx.params.org ?? "").toLowerCase();
    const user = (ctx.params.username ?? "").toLowerCase();
    if (!members.get(ctx.state)?.get(org)?.has(user)) {
      return { status: 404, body: { message: "User does not exist or is not a member of the organization", documentation_url: ctx.docUrl, status: "404" } };
    }
    return { status: 204, body: undefined };
  },
};
