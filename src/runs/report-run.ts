import { createHash } from "node:crypto";
import type { CheckRunFields, GitHubForInstallation, GitHubPort } from "../github/github-port.js";
import type { RunRecord } from "./run-record.js";
import type { RunStore } from "./run-store.js";
import { renderCheckRun, renderRunComment, runCommentMarker } from "./render-run-report.js";
import type { Lock } from "../work/redis-lock.js";

export interface ReportDeps {
  store: RunStore;
  github: GitHubForInstallation;
  publicUrl: string;
  lock: Lock;
  /** True for a record that must not be reported yet (a failure whose summary is still being written). */
  hold?(run: RunRecord): boolean;
}

export const digest = (value: unknown) => createHash("sha1").update(JSON.stringify(value)).digest("hex");

/**
 * Creates the run's check run the first time (or, for a record rebuilt after Redis lost it, finds the one posted
 * before), then edits it only when what it shows changed. Callers hold the run's report lock.
 */
export async function upsertCheckRun(deps: Pick<ReportDeps, "store">, gh: GitHubPort, run: RunRecord, check: CheckRunFields): Promise<void> {
  const { namespace, name, repo } = run.meta;
  const hash = digest(check);
  if (run.checkRunId === undefined && run.meta.rebuilt) run.checkRunId = await gh.findCheckRun(repo, run.meta.headSha, run.meta.checkName, `${namespace}/${name}`);
  if (run.checkRunId === undefined) {
    await deps.store.setReported(namespace, name, "check", await gh.createCheckRun(repo, check), hash);
  } else if (run.reported?.check !== hash) {
    await gh.updateCheckRun(repo, run.checkRunId, check);
    await deps.store.setReported(namespace, name, "check", run.checkRunId, hash);
  }
}

/**
 * Brings the run's check run and PR comment up to date with its record: creates them the first time, edits them
 * when what they show changed, and sends nothing otherwise. Serialized per run, so two replicas never create two.
 */
export async function reportRun(deps: ReportDeps, namespace: string, name: string): Promise<void> {
  await deps.lock.coalesce(`report:${namespace}/${name}`, async () => {
    const run = await deps.store.get(namespace, name);
    if (!run || deps.hold?.(run)) return;
    const gh = await deps.github(run.meta.installationId);
    const repo = run.meta.repo;
    // Redis lost this record and the watcher rebuilt it from the PipelineRun: edit the comment posted before.
    if (run.meta.rebuilt && run.commentId === undefined && run.meta.pr > 0) run.commentId = await gh.findBotComment(repo, run.meta.pr, runCommentMarker(run.meta));

    const comment = renderRunComment(run, deps.publicUrl);
    await Promise.all([
      upsertCheckRun(deps, gh, run, renderCheckRun(run, deps.publicUrl)),
      (async () => {
        const hash = digest(comment);
        if (run.commentId === undefined) {
          await deps.store.setReported(namespace, name, "comment", await gh.createComment(repo, run.meta.pr, comment), hash);
        } else if (run.reported?.comment !== hash) {
          await gh.updateComment(repo, run.commentId, comment);
          await deps.store.setReported(namespace, name, "comment", run.commentId, hash);
        }
      })(),
    ]);
  });
}
