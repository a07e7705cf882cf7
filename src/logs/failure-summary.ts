import type { CheckRunAnnotation } from "../github/github-port.js";
import type { RunFailure, RunRecord } from "../runs/run-record.js";
import { archivedStepKey, type ArchivedStep } from "./log-archive.js";

const tailLines = 30;
/** GitHub accepts at most 50 annotations per check-run request; mario sends them in one. */
export const maxAnnotations = 50;

// `path/to/file.ext:12:5: message` (gcc, tsc --pretty false, eslint unix, go vet, rustc short…), optionally
// prefixed by a level or a tool name.
// Terminal colour codes (ESC [ … m), which compilers print around file names.
const ansiColor = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
const location = /(?:^|\s)((?:\.{0,2}\/)?[A-Za-z0-9_@+-][A-Za-z0-9_@+./-]*\.[A-Za-z0-9]+):(\d+):(\d+):?\s+(.*)$/;

/** `file:line:col: message` lines as check-run annotations (at most 50, first ones first, duplicates dropped). */
export function parseAnnotations(log: string): CheckRunAnnotation[] {
  const out: CheckRunAnnotation[] = [];
  const seen = new Set<string>();
  for (const raw of log.split("\n")) {
    if (out.length >= maxAnnotations) break;
    const m = location.exec(raw.replace(ansiColor, "").trimEnd());
    if (!m) continue;
    // Paths relative to the repository: drop ./ and Tekton's workspace mount (/workspace/<name>/).
    const path = m[1]!.replace(/^\.\//, "").replace(/^\/?workspace\/[^/]+\//, "");
    const line = Number(m[2]);
    const message = m[4]!.trim();
    if (!message || line < 1 || path.startsWith("/") || path.startsWith("..")) continue;
    const id = `${path}:${line}:${message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const level = /^warning\b/i.test(message) ? "warning" : /^(note|info)\b/i.test(message) ? "notice" : "failure";
    out.push({ path, start_line: line, end_line: line, annotation_level: level, message: message.slice(0, 1000) });
  }
  return out;
}

/**
 * The failing task and step of a finished run, from the archived (already masked) log: its last lines and its
 * `file:line:col` annotations. Undefined when no task failed.
 */
export function summarizeFailure(run: RunRecord, archived: Map<string, ArchivedStep>): RunFailure | undefined {
  const task = run.tasks.find((t) => t.state === "failed");
  if (!task) return undefined;
  const step = task.steps.find((s) => s.state === "failed") ?? task.steps.at(-1);
  if (!step) return { task: task.name, logTail: [], note: "The task has no steps recorded, so there is no log to show." };
  const entry = archived.get(archivedStepKey(task.name, step.name));
  if (!task.podName || !entry) return { task: task.name, step: step.name, logTail: [], note: "The task has no pod, so there is no log to show." };
  if (entry.status === "lost") return { task: task.name, step: step.name, logTail: [], note: "The pod was deleted before its log could be read." };
  const lines = entry.text.replace(/\n$/, "").split("\n");
  const annotations = parseAnnotations(entry.text);
  return { task: task.name, step: step.name, logTail: lines.slice(-tailLines).map((l) => l.slice(0, 500)), ...(annotations.length ? { annotations } : {}) };
}
