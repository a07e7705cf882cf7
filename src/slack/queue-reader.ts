import type { RepoRef } from "../github/github-port.js";

/** One PR waiting in a merge pool, as `/mario queue` shows it. */
export interface QueuedPullRequest {
  number: number;
  title?: string;
  /** 1-based position in its pool; absent when the PR is not mergeable yet. */
  position?: number;
  /** What the PR still lacks (labels, checks, a rebase…); empty when it is ready. */
  missing: string[];
}

export interface MergePoolView {
  /** The base branch of the pool. */
  branch: string;
  /** What the pool is doing now (testing a batch, merging, idle). */
  state?: string;
  pullRequests: QueuedPullRequest[];
}

/**
 * The merge queue's read side, as Slack needs it. The merge-queue feature provides it in mario.ts; undefined
 * there means the queue is not enabled, and `/mario queue` says so.
 */
export type QueueReader = (repo: RepoRef) => Promise<MergePoolView[] | undefined>;
