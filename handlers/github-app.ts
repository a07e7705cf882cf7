import type { ApplicationFunction } from "probot";
import { onIssueComment, type CommentIntake } from "./issue-comment.js";

/** The Probot app: GitHub events in, queued work out. Nothing slow happens here. */
export function githubApp(intake: { comment: CommentIntake }): ApplicationFunction {
  return (app) => {
    app.on("issue_comment.created", (context) => onIssueComment(context, intake.comment));
  };
}
