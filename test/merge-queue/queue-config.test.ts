import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config/load-config.js";

describe("merge queue config", () => {
  it("has defaults, so configs without the section stay valid", () => {
    const config = parseConfig("{}");
    expect(config.mergeQueue).toMatchObject({ requiredLabels: ["lgtm", "approved"], method: "merge", maxInFlight: 8 });
    expect(config.review.labels.hold).toBe("do-not-merge/hold");
  });

  it("refuses a label that is both required and blocking, naming the path", () => {
    expect(() => parseConfig("mergeQueue:\n  requiredLabels: [lgtm]\n  blockingLabels: [LGTM]\n")).toThrow(ConfigError);
    expect(() => parseConfig("mergeQueue:\n  requiredLabels: [lgtm]\n  blockingLabels: [LGTM]\n")).toThrow(/mergeQueue.requiredLabels: "lgtm" is also a blocking label/);
    expect(() => parseConfig("mergeQueue:\n  method: fast-forward\n")).toThrow(/mergeQueue.method/);
  });

  it("takes the default required and blocking labels from review.labels; explicit lists win", () => {
    const renamed = parseConfig("review:\n  labels: { lgtm: looks-good, hold: on-hold, needsRebase: rebase-me }\n");
    expect(renamed.mergeQueue.requiredLabels).toEqual(["looks-good", "approved"]);
    expect(renamed.mergeQueue.blockingLabels).toEqual(["on-hold", "do-not-merge/work-in-progress", "rebase-me"]);
    const explicit = parseConfig("review:\n  labels: { hold: on-hold }\nmergeQueue:\n  blockingLabels: [frozen]\n");
    expect(explicit.mergeQueue.blockingLabels).toEqual(["frozen"]);
    expect(explicit.mergeQueue.requiredLabels).toEqual(["lgtm", "approved"]);
    expect(() => parseConfig("review:\n  labels: { hold: 5 }\n")).toThrow(/review.labels.hold/);
  });
});
