import type { CommentEvent } from "./handle-commands.js";

/** Every job mario queues, by name. Data must be plain JSON: it is stored in Redis. */
export interface JobData {
  comment: CommentEvent;
  report: { namespace: string; name: string };
}

export type JobName = keyof JobData;
