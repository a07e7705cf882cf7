import type { ReviewDeps } from "./approvals.js";

/** What /lgtm, /approve and /hold need; absent when mario runs without reviews wired (unit tests of other commands). */
export interface ReviewCommandServices {
  review?: ReviewDeps;
}

export const cancelArg = {
  name: "cancel",
  positional: true,
  required: false,
  pattern: "^cancel$",
  description: "`cancel` withdraws it.",
};
