import type { PullRequestInfo } from "../github/github-port.js";
import { repoOf, type PoolKey, type PoolState } from "./pool-types.js";
import { mergesCleanly } from "./queue-ci.js";
import type { SyncDeps } from "./sync-pool.js";

/**
 * Removes `needs-rebase` from PRs that merge cleanly now (as Prow's needs-rebase plugin does: outside contributors
 * cannot remove labels). A PR is checked when it was pushed to since its last check, or when GitHub reports it
 * mergeable on a base it was not checked on; each `<head>@<base>` is checked once.
 */
export async function clearNeedsRebase(deps: SyncDeps, pool: PoolKey, state: PoolState, prs: PullRequestInfo[], baseSha: string): Promise<void> {
  const label = deps.config.review.labels.needsRebase.toLowerCase();
  const carrying = new Set<string>();
  for (const pr of prs) {
    if (!pr.labels.some((l) => l.toLowerCase() === label)) continue;
    const key = String(pr.number);
    carrying.add(key);
    const [checkedHead, checkedBase] = (state.rebaseChecked[key] ?? "").split("@");
    const pushed = checkedHead !== pr.head.sha;
    const nowMergeable = pr.mergeable === true && checkedBase !== baseSha;
    if (!pushed && !nowMergeable) continue;
    state.rebaseChecked[key] = `${pr.head.sha}@${baseSha}`;
    if (!(await mergesCleanly(deps.github, pool, baseSha, pr.head.sha))) continue;
    await deps.github.removeLabel(repoOf(pool), pr.number, deps.config.review.labels.needsRebase);
    const labels = pr.labels.filter((l) => l.toLowerCase() !== label);
    // The unlabeled webhook will say the same; the snapshot knows it at once.
    await deps.store.patchPrLabels(pool, pr, labels);
    pr.labels = labels;
  }
  for (const key of Object.keys(state.rebaseChecked)) if (!carrying.has(key)) delete state.rebaseChecked[key];
}
