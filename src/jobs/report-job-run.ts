import type { CommitStatus } from "../github/github-port.js";
import { digest, reportRun, upsertCheckRun, type ReportDeps } from "../runs/report-run.js";
import { renderCheckRun, runLogUrl, stateView } from "../runs/render-run-report.js";

/**
 * Reports any run where it belongs: command runs as a check run plus one PR comment (report-run.ts); presubmit
 * and staging job runs as their check run only, so a PR with many jobs gets no comment per run; periodic runs as a
 * commit status on the branch head. Like reportRun: coalesced per run, and nothing is sent when nothing changed.
 */
export async function reportAnyRun(deps: ReportDeps, namespace: string, name: string): Promise<void> {
  const kind = (await deps.store.get(namespace, name))?.meta.kind ?? "command";
  if (kind === "command") return reportRun(deps, namespace, name);
  await deps.lock.coalesce(`report:${namespace}/${name}`, async () => {
    const run = await deps.store.get(namespace, name);
    if (!run || deps.hold?.(run)) return;
    const gh = await deps.github(run.meta.installationId);
    const repo = run.meta.repo;
    if (kind === "periodic") {
      const status = periodicStatus(run, deps.publicUrl);
      const hash = digest(status);
      if (run.reported?.status === hash) return;
      await gh.createStatus(repo, run.meta.headSha, status);
      await deps.store.setReportedStatus(namespace, name, hash);
      return;
    }
    await upsertCheckRun(deps, gh, run, renderCheckRun(run, deps.publicUrl));
  });
}

/** A periodic run's commit status: it has no PR, so its result shows on the branch head it ran on. */
function periodicStatus(run: Parameters<typeof renderCheckRun>[0], publicUrl: string): CommitStatus {
  const view = stateView(run.status.state);
  const state: CommitStatus["state"] =
    view.status !== "completed" ? "pending" : view.conclusion === "success" ? "success" : view.conclusion === "failure" || view.conclusion === "timed_out" ? "failure" : "error";
  const where = run.failure ? ` in ${run.failure.task}${run.failure.step ? `/${run.failure.step}` : ""}` : "";
  const description = `${view.title}${where} (${run.meta.job ?? run.meta.verb} on ${run.meta.branch ?? "branch"} ${run.meta.headSha.slice(0, 7)})`;
  return { state, context: run.meta.checkName, description: description.slice(0, 140), targetUrl: runLogUrl(publicUrl, run.meta) };
}
