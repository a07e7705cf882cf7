import type { Redis } from "ioredis";
import type { RepoRef } from "../github/github-port.js";
import { repoKey } from "../github/repo-full-name.js";

const ttlSeconds = 30 * 24 * 3600;

/**
 * Per-commit job state in Redis, independent of the cluster: which run is the latest of each job on a head
 * (so `/retest` knows failed and never-run jobs after PipelineRuns were pruned), which check runs await
 * `/ok-to-test`, approvals, heads replaced by a push, closed PRs, and the PR of a head (fork check suites carry none).
 */
export function createJobState(redis: Redis, prefix: string) {
  const head = (repo: RepoRef, sha: string) => `${prefix}job-runs:${repoKey(repo)}@${sha}`;
  const awaiting = (repo: RepoRef, sha: string) => `${prefix}job-awaiting:${repoKey(repo)}@${sha}`;
  const superseded = (repo: RepoRef, sha: string) => `${prefix}head-superseded:${repoKey(repo)}@${sha}`;
  const closed = (repo: RepoRef, pr: number) => `${prefix}pr-closed:${repoKey(repo)}#${pr}`;
  const approval = (repo: RepoRef, pr: number) => `${prefix}ok-to-test:${repoKey(repo)}#${pr}`;
  const prOfHead = (repo: RepoRef, sha: string) => `${prefix}head-pr:${repoKey(repo)}@${sha}`;

  return {
    /** Records `run` (`namespace/name`) as the latest run of `job` on the head. */
    async setRun(repo: RepoRef, sha: string, job: string, run: string): Promise<void> {
      await redis.multi().hset(head(repo, sha), job, run).expire(head(repo, sha), ttlSeconds).exec();
    },
    /** Latest run per job on the head. */
    async runs(repo: RepoRef, sha: string): Promise<Record<string, string>> {
      return redis.hgetall(head(repo, sha));
    },
    /** Remembers the "awaiting /ok-to-test" check run of a job; false when one exists already. */
    async setAwaiting(repo: RepoRef, sha: string, job: string, checkRunId: number): Promise<boolean> {
      const created = await redis.hsetnx(awaiting(repo, sha), job, String(checkRunId));
      await redis.expire(awaiting(repo, sha), ttlSeconds);
      return created === 1;
    },
    async hasAwaiting(repo: RepoRef, sha: string, job: string): Promise<boolean> {
      return (await redis.hexists(awaiting(repo, sha), job)) === 1;
    },
    /** The awaiting check run of a job, removed from the state (the run that starts takes it over). */
    async takeAwaiting(repo: RepoRef, sha: string, job: string): Promise<number | undefined> {
      const [[, id]] = (await redis.multi().hget(awaiting(repo, sha), job).hdel(awaiting(repo, sha), job).exec()) as [[unknown, string | null]];
      return id ? Number(id) : undefined;
    },
    /** Every awaiting check run of the head (job → check run id), removed from the state. */
    async takeAllAwaiting(repo: RepoRef, sha: string): Promise<Record<string, number>> {
      const [[, all]] = (await redis.multi().hgetall(awaiting(repo, sha)).del(awaiting(repo, sha)).exec()) as [[unknown, Record<string, string>]];
      return Object.fromEntries(Object.entries(all).map(([job, id]) => [job, Number(id)]));
    },
    async markSuperseded(repo: RepoRef, sha: string): Promise<void> {
      await redis.set(superseded(repo, sha), "1", "EX", ttlSeconds);
    },
    async isSuperseded(repo: RepoRef, sha: string): Promise<boolean> {
      return (await redis.exists(superseded(repo, sha))) === 1;
    },
    async setClosed(repo: RepoRef, pr: number, value: boolean): Promise<void> {
      if (value) await redis.set(closed(repo, pr), "1", "EX", ttlSeconds);
      else await redis.del(closed(repo, pr));
    },
    async isClosed(repo: RepoRef, pr: number): Promise<boolean> {
      return (await redis.exists(closed(repo, pr))) === 1;
    },
    /** An approval for one head (`sha`), or for the PR as a whole (`*`, when approvals outlive pushes). */
    async approve(repo: RepoRef, pr: number, sha: string): Promise<void> {
      await redis.multi().sadd(approval(repo, pr), sha).expire(approval(repo, pr), ttlSeconds).exec();
    },
    async isApproved(repo: RepoRef, pr: number, sha: string, perPush: boolean): Promise<boolean> {
      const [forSha, forPr] = await Promise.all([redis.sismember(approval(repo, pr), sha), redis.sismember(approval(repo, pr), "*")]);
      return forSha === 1 || (!perPush && forPr === 1);
    },
    async setPullRequestOfHead(repo: RepoRef, sha: string, pr: number): Promise<void> {
      await redis.set(prOfHead(repo, sha), String(pr), "EX", ttlSeconds);
    },
    async pullRequestOfHead(repo: RepoRef, sha: string): Promise<number | undefined> {
      const v = await redis.get(prOfHead(repo, sha));
      return v ? Number(v) : undefined;
    },
  };
}

export type JobState = ReturnType<typeof createJobState>;
