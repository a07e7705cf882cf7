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

  it("freshness takes current-base, any-base or a duration; anything else names the path", () => {
    expect(parseConfig("mergeQueue:\n  freshness: 24h\n").mergeQueue.freshness).toBe("24h");
    expect(parseConfig("mergeQueue:\n  freshness: any-base\n").mergeQueue.freshness).toBe("any-base");
    expect(parseConfig("{}").mergeQueue.freshness).toBe("current-base");
    for (const bad of ["yesterday", "0h", "24", "1.5h"]) expect(() => parseConfig(`mergeQueue:\n  freshness: "${bad}"\n`), bad).toThrow(/mergeQueue\.freshness/);
  });

  it("commit templates may use only the variables a PR supplies", () => {
    const ok = parseConfig('mergeQueue:\n  commitTitle: "{{pr.title}} (#{{ pr.number }})"\n  commitBody: "{{pr.body}}\\n\\nby @{{pr.author}} from {{pr.headRef}}"\n');
    expect(ok.mergeQueue.commitBody).toContain("{{pr.body}}");
    expect(() => parseConfig('mergeQueue:\n  commitTitle: "{{pr.titel}} (#{{pr.number}})"\n')).toThrow(/mergeQueue\.commitTitle: unknown variable \{\{pr\.titel\}\}; known: \{\{pr\.number\}\}/);
    expect(() => parseConfig('mergeQueue:\n  commitBody: "{{pr.description}} {{ user }}"\n')).toThrow(/mergeQueue\.commitBody: unknown variables \{\{pr\.description\}\}, \{\{user\}\}/);
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
