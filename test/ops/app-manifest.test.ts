import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ApplicationFunction, Probot } from "probot";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { githubApp } from "../../handlers/github-app.js";
import { packageRoot } from "../../src/package-root.js";

/* The GitHub App manifest must subscribe to every event mario listens for and grant every permission its API calls need. */
const manifest = parse(readFileSync(join(packageRoot, "app.yml"), "utf8")) as { default_events: string[]; default_permissions: Record<string, string> };
const readme = readFileSync(join(packageRoot, "README.md"), "utf8");

/** The events the Probot app registers for, with every optional intake switched on. */
function registeredEvents(): string[] {
  const events = new Set<string>();
  const recorder = { on: (names: string | string[]) => [names].flat().forEach((n) => events.add(n.split(".")[0]!)) };
  const app: ApplicationFunction = githubApp({ comment: {} as never, pullRequest: {} as never, rerequest: {} as never, mergeQueue: {} as never });
  void app(recorder as unknown as Probot, {} as never);
  return [...events].sort();
}

/** Octokit methods mario calls → the App permission (and level) each needs. A new call must be added here. */
const needs: Record<string, [string, "read" | "write"] | "app JWT"> = {
  "apps.getRepoInstallation": "app JWT",
  "checks.create": ["checks", "write"],
  "checks.update": ["checks", "write"],
  "checks.listForRef": ["checks", "read"],
  "git.createRef": ["contents", "write"],
  "git.updateRef": ["contents", "write"],
  "git.deleteRef": ["contents", "write"],
  "git.getCommit": ["contents", "read"],
  "git.listMatchingRefs": ["contents", "read"], // the reconcile finds staging branches no run owns
  "issues.createComment": ["issues", "write"],
  "issues.updateComment": ["issues", "write"],
  "issues.listComments": ["issues", "read"],
  "issues.createLabel": ["issues", "write"],
  "issues.addLabels": ["issues", "write"],
  "issues.removeLabel": ["issues", "write"],
  "orgs.checkMembershipForUser": ["members", "read"], // trust: org members' PRs run without /ok-to-test
  "pulls.get": ["pull_requests", "read"],
  "pulls.list": ["pull_requests", "read"],
  "pulls.listFiles": ["pull_requests", "read"],
  "pulls.listReviews": ["pull_requests", "read"],
  "pulls.merge": ["contents", "write"],
  "repos.get": ["metadata", "read"],
  "repos.getCollaboratorPermissionLevel": ["metadata", "read"],
  "repos.getBranch": ["contents", "read"],
  "repos.getContent": ["contents", "read"],
  "repos.merge": ["contents", "write"],
  "repos.getCombinedStatusForRef": ["statuses", "read"],
  "repos.createCommitStatus": ["statuses", "write"],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name));
}

describe("app.yml", () => {
  it("subscribes to every event the GitHub handlers listen for, and to nothing else", () => {
    expect(registeredEvents()).toEqual([...manifest.default_events].sort());
  });

  it("grants every permission the GitHub calls in src/ and handlers/ need", () => {
    const called = new Set(
      ["src", "handlers"].flatMap((d) => sourceFiles(join(packageRoot, d))).flatMap((f) => [...readFileSync(f, "utf8").matchAll(/\brest\.([a-z]+\.[A-Za-z]+)\(/g)].map((m) => m[1]!)),
    );
    expect(called.size).toBeGreaterThan(10);
    for (const method of called) {
      const need = needs[method];
      expect(need, `${method}: add the permission it needs to this test's table and to app.yml`).toBeDefined();
      if (need === undefined || need === "app JWT") continue;
      const [permission, level] = need;
      const granted = manifest.default_permissions[permission];
      expect(granted === "write" || granted === level, `${method} needs ${permission}: ${level}; app.yml grants ${granted ?? "nothing"}`).toBe(true);
    }
  });

  it("is what the README's install steps list", () => {
    const install = readme.slice(readme.indexOf("## Installing the GitHub App"), readme.indexOf("\n## ", readme.indexOf("## Installing the GitHub App") + 1));
    for (const event of manifest.default_events) expect(install, `README lists event ${event}`).toContain(`\`${event}\``);
    for (const permission of Object.keys(manifest.default_permissions)) expect(install, `README lists permission ${permission}`).toContain(permission.replace("_", " "));
  });
});
