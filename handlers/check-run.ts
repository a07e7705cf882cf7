import type { Context } from "probot";
import type { RerequestEvent } from "../src/jobs/on-rerequest.js";

export type RerequestIntake = (event: RerequestEvent) => Promise<void>;

/** `check_run.rerequested` (the Re-run button) → a RerequestEvent on the queue. Only mario's own check runs. */
export async function onCheckRunRerequested(context: Context<"check_run.rerequested">, intake: RerequestIntake): Promise<void> {
  const { check_run: run, repository, installation, sender } = context.payload;
  if (!installation || !run.name.startsWith("mario/")) return;
  await intake({
    deliveryId: context.id,
    installationId: installation.id,
    repo: { owner: repository.owner.login, name: repository.name },
    kind: "check-run",
    headSha: run.head_sha,
    checkName: run.name,
    pullRequests: run.pull_requests.map((p) => p.number),
    sender: sender.login,
  });
}

/** `check_suite.rerequested` (Re-run failed checks) → a RerequestEvent on the queue. */
export async function onCheckSuiteRerequested(context: Context<"check_suite.rerequested">, intake: RerequestIntake): Promise<void> {
  const { check_suite: suite, repository, installation, sender } = context.payload;
  if (!installation) return;
  await intake({
    deliveryId: context.id,
    installationId: installation.id,
    repo: { owner: repository.owner.login, name: repository.name },
    kind: "check-suite",
    headSha: suite.head_sha,
    pullRequests: suite.pull_requests.map((p) => p.number),
    sender: sender.login,
  });
}
