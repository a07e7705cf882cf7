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
});
