import type { RepoRef } from "../github/github-port.js";
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
}

export interface RunFailure {
  task: string;
  step?: string;
  /** The last lines of the failing step's log, secrets masked. */
  logTail: string[];
  /** Why no log could be shown, e.g. the pod was already gone. */
  note?: string;
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
  reported?: { check?: string; comment?: string };
}

export const runKey = (meta: Pick<RunMeta, "namespace" | "name">) => `${meta.namespace}/${meta.name}`;
