import { createHash } from "node:crypto";
import type { GitHubForInstallation } from "../github/github-port.js";
import type { RunStore } from "./run-store.js";
import { renderCheckRun, renderRunComment } from "./render-run-report.js";
import type { Lock } from "../work/redis-lock.js";

export interface ReportDeps {
  store: RunStore;
  github: GitHubForInstallation;
  publicUrl: string;
  lock: Lock;
}

const digest = (value: unknown) => createHash("sha1").update(JSON.stringify(value)).digest("hex");

/**
 * Brings the run's check run and PR comment up to date with its record: creates them the first time, edits them
 * when what they show changed, and sends nothing otherwise. Serialized per run, so two replicas never create two.
 */
export async function reportRun(deps: ReportDeps, namespace: string, name: string): Promise<void> {
  await deps.lock.withLock(`report:${namespace}/${name}`, async () => {
    const run = await deps.store.get(namespace, name);
    if (!run) return;
    const gh = await deps.github(run.meta.installationId);
    const repo = run.meta.repo;

    const check = renderCheckRun(run, deps.publicUrl);
    const comment = renderRunComment(run, deps.publicUrl);
    await Promise.all([
      (async () => {
        const hash = digest(check);
        if (run.checkRunId === undefined) {
          const id = await gh.createCheckRun(repo, check);
          await deps.store.setIds(namespace, name, { checkRunId: id });
        } else if ((await deps.store.reportedHash(namespace, name, "check")) !== hash) {
          await gh.updateCheckRun(repo, run.checkRunId, check);
        } else return;
        await deps.store.setReportedHash(namespace, name, "check", hash);
      })(),
      (async () => {
        const hash = digest(comment);
        if (run.commentId === undefined) {
          const id = await gh.createComment(repo, run.meta.pr, comment);
          await deps.store.setIds(namespace, name, { commentId: id });
        } else if ((await deps.store.reportedHash(namespace, name, "comment")) !== hash) {
          await gh.updateComment(repo, run.commentId, comment);
        } else return;
        await deps.store.setReportedHash(namespace, name, "comment", hash);
      })(),
    ]);
  });
}
