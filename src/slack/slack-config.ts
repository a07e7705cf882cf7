import { z } from "zod";
import { permissionLevels } from "../github/permission.js";

/** The `slack:` section of `config/mario.yaml`: who is who, which channel follows which repository. */

const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,20}$/, "must be a Slack user id such as U0123ABCD");
const slackChannelId = z.string().regex(/^[CGD][A-Z0-9]{2,20}$/, "must be a Slack channel id such as C0123ABCD");
const githubLogin = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, "must be a GitHub login");
export const repoFullName = z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be "owner/name"');

export const subscriptionKinds = ["failures", "merges", "all"] as const;
export type SubscriptionKind = (typeof subscriptionKinds)[number];

export const slackConfigSchema = z
  .object({
    /** Slack user id → GitHub login. That login's repository permission decides, exactly as on GitHub. */
    users: z
      .record(z.string(), githubLogin)
      .superRefine((users, ctx) => {
        for (const id of Object.keys(users)) {
          if (!slackUserId.safeParse(id).success) ctx.addIssue({ code: "custom", path: [id], message: `"${id}" must be a Slack user id such as U0123ABCD (not a name)` });
        }
      })
      .default({}),
    /** Members of these Slack user groups get `permission` on the listed repositories (all when omitted). */
    groups: z
      .array(
        z
          .object({
            id: z.string().regex(/^S[A-Z0-9]{2,20}$/, "must be a Slack user group id such as S0123ABCD"),
            permission: z.enum(permissionLevels),
            repos: z.array(z.string().regex(/^[A-Za-z0-9_.-]+\/([A-Za-z0-9_.-]+|\*)$/, 'must be "owner/name" or "owner/*"')).optional(),
          })
          .strict(),
      )
      .default([]),
    /** Permission on the repository needed to bind a channel to it or subscribe a channel to it. */
    bindPermission: z.enum(permissionLevels).default("maintain"),
    /** Channels set up in config: a default repository and/or notifications. `/mario bind` overrides `repo`. */
    channels: z
      .array(
        z
          .object({
            channel: slackChannelId,
            repo: repoFullName.optional(),
            subscribe: z.array(z.object({ repo: repoFullName, events: z.array(z.enum(subscriptionKinds)).min(1) }).strict()).default([]),
          })
          .strict(),
      )
      .default([]),
    /** Run messages are updated at most once per this interval (changes in between are coalesced). */
    updateIntervalMs: z.number().int().min(0).max(60_000).default(1000),
  })
  .strict();

export type SlackConfig = z.infer<typeof slackConfigSchema>;
