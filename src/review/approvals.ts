import type { Redis } from "ioredis";
import type { GitHubPort, PullRequestInfo, RepoRef } from "../github/github-port.js";
import { permissionAtLeast } from "../github/permission.js";
import type { ReviewConfig } from "../merge-queue/merge-queue-config.js";
import { approversOf, parseOwners } from "./owners.js";
import { addManagedLabel, labelSpecs } from "./review-labels.js";

export interface ReviewDeps {
  redis: Redis;
  prefix: string;
  review: ReviewConfig;
}

interface Vote {
  vote: "approve" | "cancel";
  at: number;
}

const votesKey = (d: ReviewDeps, repo: RepoRef, pr: number) => `${d.prefix}review:approve:${repo.owner}/${repo.name}#${pr}`;
const noticeKey = (d: ReviewDeps, repo: RepoRef, pr: number) => `${d.prefix}review:notice:${repo.owner}/${repo.name}#${pr}`;

// Keeps a person's vote unless the one recorded is newer (commands handled out of order keep their order).
const recordIfNewer = `
local cur = redis.call("hget", KEYS[1], ARGV[1])
if cur and tonumber(cjson.decode(cur).at or 0) > tonumber(ARGV[3]) then return 0 end
redis.call("hset", KEYS[1], ARGV[1], ARGV[2]); redis.call("expire", KEYS[1], ARGV[4]); return 1`;

/** Records `/approve` or `/approve cancel` written at `at` (ms); a person's latest command or review wins. */
export async function recordVote(d: ReviewDeps, repo: RepoRef, pr: number, user: string, vote: Vote["vote"], at: number): Promise<void> {
  await d.redis.eval(recordIfNewer, 1, votesKey(d, repo, pr), user.toLowerCase(), JSON.stringify({ vote, at }), String(at), String(90 * 24 * 3600));
}

/** Approvals in force: commands (Redis) and, when enabled, reviews (GitHub), latest per person. */
async function approvers(d: ReviewDeps, gh: GitHubPort, repo: RepoRef, pr: PullRequestInfo): Promise<Set<string>> {
  const latest = new Map<string, Vote>();
  const consider = (user: string, v: Vote) => {
    const prev = latest.get(user);
    if (!prev || prev.at <= v.at) latest.set(user, v);
  };
  for (const [user, raw] of Object.entries(await d.redis.hgetall(votesKey(d, repo, pr.number)))) consider(user, JSON.parse(raw) as Vote);
  if (d.review.reviewsCount) {
    for (const r of await gh.listReviews(repo, pr.number)) {
      if (r.state === "APPROVED" || r.state === "CHANGES_REQUESTED") consider(r.user.toLowerCase(), { vote: r.state === "APPROVED" ? "approve" : "cancel", at: Date.parse(r.submittedAt) || 0 });
    }
  }
  const out = new Set<string>();
  for (const [user, v] of latest) if (v.vote === "approve" && (d.review.authorCanApprove || user !== pr.author.toLowerCase())) out.add(user);
  return out;
}

/**
 * Works out whether every changed file is approved (nearest OWNERS file walking up to the root, read from the base
 * branch), sets or removes the `approved` label, and keeps one notification comment saying who still needs to
 * approve, edited only when its text changes. Files no OWNERS file covers need a collaborator with write access.
 */
export async function updateApproval(d: ReviewDeps, gh: GitHubPort, repo: RepoRef, pr: PullRequestInfo): Promise<{ approved: boolean; text: string }> {
  const who = await approvers(d, gh, repo, pr);
  const files = await gh.listPullFiles(repo, pr.number);
  const owners = await approversOf(files, d.review.ownersFile, async (path) => {
    const text = await gh.getFileContent(repo, path, pr.base.ref);
    return text === undefined ? undefined : parseOwners(text);
  });
  const writers = new Set<string>();
  if (owners.some((o) => !o.owners)) for (const user of who) if (permissionAtLeast(await gh.getPermission(repo, user), "write")) writers.add(user);
  const missing = new Map<string, string[]>();
  for (const f of owners) {
    const ok = f.owners ? [...f.approvers].some((a) => who.has(a)) : writers.size > 0;
    if (!ok) missing.set(f.owners ?? "(no OWNERS file)", f.owners ? [...f.approvers] : []);
  }
  const approved = files.length > 0 && missing.size === 0;
  const by = [...who].sort().map((u) => `@${u}`).join(", ") || "nobody yet";
  const text = approved
    ? `**APPROVED**\n\nApproved by ${by}. Every changed file is covered by an approver in its OWNERS file.`
    : [
        "**NOT APPROVED**",
        "",
        `Approved so far by ${by}. Still needed — one approver from each of:`,
        ...[...missing].map(([file, list]) => `- \`${file}\`: ${list.length ? list.map((u) => `@${u}`).join(", ") : "a collaborator with write access"}`),
        "",
        "Approvers write `/approve`; `/approve cancel` withdraws an approval.",
      ].join("\n");
  const label = labelSpecs(d.review.labels).approved;
  const has = pr.labels.some((l) => l.toLowerCase() === label.name.toLowerCase());
  if (approved && !has) await addManagedLabel(gh, d.redis, d.prefix, repo, pr.number, label);
  if (!approved && has) await gh.removeLabel(repo, pr.number, label.name);
  await upsertNotice(d, gh, repo, pr.number, text);
  return { approved, text };
}

/**
 * After the PR's files changed (opened, pushed to, reopened): approval is worked out again, so a push touching
 * files under other OWNERS files loses `approved` and the notification says who still needs to approve. Only
 * PRs mario worked approval out for before (they have its notification): an `approved` label a person added by
 * hand is theirs to remove, and PRs nobody approved cost nothing.
 */
export async function reevaluateApproval(d: ReviewDeps, gh: GitHubPort, repo: RepoRef, pr: PullRequestInfo): Promise<{ approved: boolean } | undefined> {
  if (!(await d.redis.exists(noticeKey(d, repo, pr.number)))) return undefined;
  return updateApproval(d, gh, repo, pr);
}

/** The one notification comment: created once, edited only when its text changed. */
async function upsertNotice(d: ReviewDeps, gh: GitHubPort, repo: RepoRef, pr: number, text: string): Promise<void> {
  const key = noticeKey(d, repo, pr);
  const raw = await d.redis.get(key);
  const prev = raw ? (JSON.parse(raw) as { id: number; text: string }) : undefined;
  if (prev?.text === text) return;
  const id = prev ? (await gh.updateComment(repo, prev.id, text), prev.id) : await gh.createComment(repo, pr, text);
  await d.redis.set(key, JSON.stringify({ id, text }), "EX", 90 * 24 * 3600);
}
