import type { CommentEvent } from "./handle-commands.js";
import type { MergeQueueEvent } from "../merge-queue/merge-queue-service.js";
import type { StagingCancelRequest, StagingJobsRequest } from "../merge-queue/staging-jobs.js";
import type { PullRequestEvent } from "../jobs/on-pull-request.js";
import type { RerequestEvent } from "../jobs/on-rerequest.js";
import type { SlackActionEvent } from "../slack/slack-action-job.js";
import type { SlackCommandEvent } from "../slack/slack-command-job.js";
import type { SlackNotifyJob } from "../slack/notify.js";

/** Every job mario queues, by name. Data must be plain JSON: it is stored in Redis. */
export interface JobData {
  comment: CommentEvent;
  report: { namespace: string; name: string };
  /** `/mario …` in Slack, and the Cancel/Retry buttons (src/slack). */
  "slack-command": SlackCommandEvent;
  "slack-action": SlackActionEvent;
  /** Brings a run's Slack messages up to date (coalesced per run). */
  "slack-update": { namespace: string; name: string };
  "slack-notify": SlackNotifyJob;
}

export interface JobData {
  /** Presubmit jobs, `/test` buttons and periodic ticks (src/jobs, src/periodic). */
  "pull-request": PullRequestEvent;
  rerequest: RerequestEvent;
  periodic: { job: string };
}

export interface JobData {
  /** Webhooks for reviews and the merge queue (src/merge-queue, src/review). */
  "merge-queue-event": MergeQueueEvent & { deliveryId?: string }; // the webhook's, carried onto the job's log lines
  /** Starts the required mario jobs on a staging commit of the merge queue. */
  "staging-jobs": StagingJobsRequest;
  /** Cancels the mario jobs of a staging run the queue let go of (apart from the queue: the cluster may be down). */
  "staging-cancel": StagingCancelRequest;
}

export type JobName = keyof JobData;
