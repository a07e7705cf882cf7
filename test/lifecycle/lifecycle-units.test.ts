import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { globToRegExp, pathsMatch } from "../../src/jobs/match-jobs.js";
import { capText } from "../../src/logs/capped-log.js";
import { parseAnnotations } from "../../src/logs/failure-summary.js";
import { logLinks } from "../../src/logs/log-links.js";
import { createMasker } from "../../src/logs/mask-secrets.js";
import { tickOf } from "../../src/periodic/periodic-jobs.js";
import { scheduledAt } from "../../src/work/work-queue.js";

describe("job matching", () => {
  it("matches changed files against globs", () => {
    expect(globToRegExp("src/**/*.ts").test("src/a/b/c.ts")).toBe(true);
    expect(globToRegExp("src/**/*.ts").test("src/c.ts")).toBe(true);
    expect(globToRegExp("src/*.ts").test("src/a/c.ts")).toBe(false);
    expect(globToRegExp("docs/**").test("docs/x/y.md")).toBe(true);
    expect(globToRegExp("a.b?").test("a.bc")).toBe(true);
    expect(globToRegExp("a.b?").test("axbc")).toBe(false);
    expect(pathsMatch({ paths: ["docs/**"] }, ["src/a.ts"])).toBe(false);
    expect(pathsMatch({}, [])).toBe(true);
  });
});

describe("failure annotations", () => {
  it("parses file:line:col: message lines, relative to the repository, at most 50", () => {
    const log = ["ok", "./src/a.ts:3:7: error TS2304: x", "/workspace/source/lib/b.go:10:2: warning: unused", "\u001b[31msrc/c.py:1:1: note: fine\u001b[0m", "/etc/passwd:1:1: nope", "http://x.y:80:1: no"].join("\n");
    expect(parseAnnotations(log)).toEqual([
      { path: "src/a.ts", start_line: 3, end_line: 3, annotation_level: "failure", message: "error TS2304: x" },
      { path: "lib/b.go", start_line: 10, end_line: 10, annotation_level: "warning", message: "warning: unused" },
      { path: "src/c.py", start_line: 1, end_line: 1, annotation_level: "notice", message: "note: fine" },
    ]);
    const many = Array.from({ length: 80 }, (_, i) => `f.ts:${i + 1}:1: error ${i}`).join("\n");
    expect(parseAnnotations(many)).toHaveLength(50);
  });
});

describe("log capping and masking", () => {
  it("keeps the head and tail around a marker and masks secrets, JSON leaves included", () => {
    const mask = createMasker(["hunter2-secret", '{"auths":{"r":{"auth":"dXNlcjpwYXNz"}}}', "abc"]);
    expect(mask("pw hunter2-secret and dXNlcjpwYXNz, abc stays")).toBe("pw *** and ***, abc stays");
    const text = Array.from({ length: 1000 }, (_, i) => `line ${i} hunter2-secret`).join("\n");
    const capped = capText(text, 2048, mask);
    expect(capped.truncated).toBe(true);
    expect(capped.text.startsWith("line 0 ***\n")).toBe(true);
    expect(capped.text.endsWith("line 999 ***")).toBe(true);
    expect(capped.text).toMatch(/----- mario truncated this log: [0-9]+ of [0-9]+ bytes are not kept/);
    expect(capped.text).not.toContain("hunter2");
    expect(Buffer.byteLength(capped.text)).toBeLessThan(2048 + 200);
    expect(capText("short\n", 2048, mask)).toEqual({ text: "short\n", bytes: 6, truncated: false });
  });
});

describe("signed log links", () => {
  it("accepts its own token until it expires, and nothing else", () => {
    const links = logLinks("k".repeat(32), 2);
    const token = links.sign("mario", "run-1", "2026-01-01T00:00:00Z");
    const created = Date.parse("2026-01-01T00:00:00Z");
    expect(links.verify("mario", "run-1", token, created + 3600_000)).toBe("ok");
    expect(links.verify("mario", "run-1", token, created + 3 * 3600_000)).toBe("expired");
    expect(links.verify("mario", "run-2", token, created)).toBe("invalid");
    expect(logLinks("x".repeat(32), 2).verify("mario", "run-1", token, created)).toBe("invalid");
    expect(links.verify("mario", "run-1", undefined)).toBe("invalid");
    expect(links.sign("mario", "run-1", "2026-01-01T00:00:00Z")).toBe(token); // the same link every time
  });
});

describe("periodic ticks", () => {
  it("maps a time to its tick, so replicas agree on the run name", () => {
    const now = Date.parse("2026-03-04T02:00:00.400Z");
    expect(tickOf("0 2 * * *", now).toISOString()).toBe("2026-03-04T02:00:00.000Z");
    expect(tickOf("0 2 * * *", now + 3600_000).toISOString()).toBe("2026-03-04T02:00:00.000Z");
    // The scheduler's own time for a tick is the tick, not the one before.
    expect(tickOf("*/2 * * * * *", Date.parse("2026-03-04T02:00:02.000Z")).toISOString()).toBe("2026-03-04T02:00:02.000Z");
  });

  it("takes a scheduled job's time from BullMQ's job id, whenever the job runs", () => {
    expect(scheduledAt({ id: "repeat:periodic:nightly:1772589602000", repeatJobKey: "periodic:nightly", opts: {} })).toBe(1772589602000);
    expect(scheduledAt({ id: "repeat:periodic:nightly", repeatJobKey: "periodic:nightly", opts: { prevMillis: 1772589600000 } })).toBe(1772589600000);
    expect(scheduledAt({ id: "comment-abc", opts: {} })).toBeUndefined();
  });
});

describe("jobs config", () => {
  const base = (jobs: string) => `jobs:\n${jobs}`;
  const job = (extra = "") => `  - name: unit\n    repos: ["octo/demo"]\n    pipeline: { pipelineRef: { name: p } }\n${extra}`;
  it("keeps configs without jobs valid, with defaults", () => {
    const c = parseConfig("commands: {}\n");
    expect(c.jobs).toEqual([]);
    expect(c.pruning.keep).toBe(10);
    expect(c.trust).toMatchObject({ minPermission: "write", orgMembers: true, okToTestPerPush: true });
  });
  it("names the path and the problem of a bad job", () => {
    expect(() => parseConfig(base(job() + job()))).toThrow(/jobs\[1\]\.name: "unit" is declared twice/);
    expect(() => parseConfig(base(job('    schedule: "0 2 * * *"\n')))).toThrow(/jobs\[0\]\.branch: a periodic job \(schedule\) needs the branch/);
    expect(() => parseConfig(base(job('    schedule: "not cron"\n    branch: main\n')))).toThrow(/schedule.*not a valid cron pattern/);
    expect(() => parseConfig(base(job("    pipeline: { pipelineRef: { name: p }, params: { X: \"{{args.x}}\" } }\n").replace("    pipeline: { pipelineRef: { name: p } }\n", "")))).toThrow(/unknown template variable \{\{args\.x\}\}/);
    expect(() => parseConfig(base(job().replace('["octo/demo"]', '["octo"]')))).toThrow(/repos\[0\].*"org\/repo" or "org\/\*"/);
  });
  it("checks the fork service account's name", () => {
    expect(parseConfig("trust:\n  forkServiceAccount: fork-runner\n").trust.forkServiceAccount).toBe("fork-runner");
    expect(() => parseConfig("trust:\n  forkServiceAccount: Fork_Runner\n")).toThrow(/trust\.forkServiceAccount: must be a Kubernetes service account name/);
  });
});
