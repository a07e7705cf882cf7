import type { CheckRunAnnotation, RepoRef } from "../github/github-port.js";
import type { RunStatus, TaskStatus } from "./run-status.js";

/** Who asked for what, on which PR: fixed when the run is requested. */
export interface RunMeta {
  namespace: string;
  name: string;
  installationId: number;
  repo: RepoRef;
  pr: number;
  prUrl: string;
  headSha: string;
  verb: string;
  commandLine: string;
  requester: string;
  checkName: string;
  createdAt: string;
  /** Rebuilt from the PipelineRun after Redis lost the record: the report looks up what was posted before. */
  rebuilt?: boolean;
  /**
   * What started it: a chat command (default), a presubmit job, a periodic job (pr 0, no comment), or a required
   * job on one of the merge queue's staging commits (pr 0, check run on the staging commit).
   */
  kind?: "command" | "job" | "periodic" | "staging";
  /** The job's name, for job, periodic and staging runs. */
  job?: string;
  /** The branch of a periodic run; the pool's base branch of a staging run. */
  branch?: string;
  /** The pull requests of a staging run's batch. */
  prs?: number[];
  /** Secrets whose values are masked in this run's logs (workspace secrets and the job's maskSecrets). */
  maskSecrets?: string[];
  /** Signed token carried by every log link of this run (see src/logs/log-links.ts). */
  logToken?: string;
}

export interface RunFailure {
  task: string;
  step?: string;
  /** The last lines of the failing step's log, secrets masked. */
  logTail: string[];
  /** Why no log could be shown, e.g. the pod was already gone. */
  note?: string;
  /** `file:line:col: message` lines of the failing step, for check-run annotations. */
  annotations?: CheckRunAnnotation[];
}

/** Everything mario knows about one run; kept in Redis so any replica can report or render it. */
export interface RunRecord {
  meta: RunMeta;
  status: RunStatus;
  tasks: TaskStatus[];
  failure?: RunFailure;
  checkRunId?: number;
  commentId?: number;
  /** Hashes of the check run and comment as last written to GitHub. */
  reported?: { check?: string; comment?: string; status?: string };
  /** Runs ahead of this one in the concurrency queue, while it waits there. */
  queueAhead?: number;
  /** Slack messages that follow this run, one per channel (src/slack). */
  slack?: SlackMessageRef[];
  /** Someone cancelled the run (`requestCancel`), maybe before its PipelineRun existed. */
  cancelRequested?: true;
}

/** A Slack message kept up to date with a run. */
export interface SlackMessageRef {
  channel: string;
  /** Set once the message is posted. */
  ts?: string;
  /** The Slack user who asked for the run (absent for mirrored runs). */
  requestedBy?: string;
  /** Where to tell that user when the channel cannot be posted to. */
  responseUrl?: string;
  /** Hash of the content last sent, so an unchanged run costs no API call. */
  hash?: string;
  /** Why mario gave up on this message (a permanent Slack error such as `channel_not_found`). */
  failed?: string;
}

export const runKey = (meta: Pick<RunMeta, "namespace" | "name">) => `${meta.namespace}/${meta.name}`;
