import type { ApplicationFunction } from "probot";
import { onIssueComment, type CommentIntake } from "./issue-comment.js";
import { onCheckRunRerequested, onCheckSuiteRerequested, type RerequestIntake } from "./check-run.js";
import { onPullRequestEvent, type PullRequestIntake } from "./pull-request.js";
import { onQueueCheckRun, onQueueLabelDeleted, onQueuePullRequest, onQueuePush, onQueueReview, onQueueStatus, pullRequestActions, type MergeQueueIntake } from "./merge-queue-events.js";

/** The Probot app: GitHub events in, queued work out. Nothing slow happens here. */
export function githubApp(intake: { comment: CommentIntake; pullRequest?: PullRequestIntake; rerequest?: RerequestIntake; mergeQueue?: MergeQueueIntake }): ApplicationFunction {
  return (app) => {
    app.on("issue_comment.created", (context) => onIssueComment(context, intake.comment));
    const { pullRequest, rerequest } = intake;
    const { mergeQueue } = intake;
    if (mergeQueue) {
      app.on([...pullRequestActions], (context) => onQueuePullRequest(context, mergeQueue));
      app.on("pull_request_review.submitted", (context) => onQueueReview(context, mergeQueue));
      app.on("status", (context) => onQueueStatus(context, mergeQueue));
      app.on("check_run.completed", (context) => onQueueCheckRun(context, mergeQueue));
      app.on("push", (context) => onQueuePush(context, mergeQueue));
      app.on("label.deleted", (context) => onQueueLabelDeleted(context, mergeQueue));
    }
    if (pullRequest) {
      app.on(["pull_request.opened", "pull_request.synchronize", "pull_request.reopened", "pull_request.closed"], (context) => onPullRequestEvent(context, pullRequest));
    }
    if (rerequest) {
      app.on("check_run.rerequested", (context) => onCheckRunRerequested(context, rerequest));
      app.on("check_suite.rerequested", (context) => onCheckSuiteRerequested(context, rerequest));
    }
  };
}
