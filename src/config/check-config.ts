import { matchesArgPattern } from "./arg-pattern.js";
import type { CommandConfig, MarioConfig } from "./config-schema.js";
import { builtinVerbs } from "../commands/builtin-verbs.js";
import { checkJobs } from "../jobs/check-jobs.js";
import { checkMergeQueue } from "../merge-queue/check-merge-queue.js";
import { isKnownReference, templateReferences, templateVariables } from "./render-template.js";


/** Checks that need more than one field at a time. Returns `path: problem` lines. */
export function checkConfig(config: MarioConfig): string[] {
  const problems: string[] = [];
  for (const [verb, command] of Object.entries(config.commands)) {
    const at = `commands.${verb}`;
    if ((builtinVerbs as readonly string[]).includes(verb)) problems.push(`${at}: "${verb}" is a built-in command and cannot be configured`);
    if (config.ignoreVerbs.includes(verb)) problems.push(`${at}: "${verb}" is also listed in ignoreVerbs`);
    problems.push(...checkCommand(at, command));
  }
  problems.push(...checkJobs(config));
  problems.push(...checkMergeQueue(config));
  return problems;
}

function checkCommand(at: string, command: CommandConfig): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  let optionalPositionalSeen = false;
  command.args.forEach((arg, i) => {
    const argAt = `${at}.args[${i}]`;
    if (names.has(arg.name)) problems.push(`${argAt}.name: "${arg.name}" is declared twice`);
    names.add(arg.name);
    if (arg.positional) {
      if (optionalPositionalSeen && arg.required) problems.push(`${argAt}: a required positional argument cannot follow an optional one`);
      if (!arg.required) optionalPositionalSeen = true;
    }
    if (arg.required && arg.default !== undefined) problems.push(`${argAt}: an argument with a default cannot be required`);
    if (arg.default !== undefined) {
      const refs = templateReferences(arg.default);
      for (const ref of refs) {
        if (ref.startsWith("args.") || !isKnownReference(ref, names)) problems.push(`${argAt}.default: unknown template variable {{${ref}}} (defaults may use ${templateVariables.join(", ")})`);
      }
      if (refs.length === 0 && !matchesArgPattern(arg.pattern, arg.default)) problems.push(`${argAt}.default: "${arg.default}" does not match its own pattern ${arg.pattern}`);
    }
  });
  const templates: [string, string][] = Object.entries(command.pipeline.params).map(([k, v]) => [`${at}.pipeline.params.${k}`, v]);
  if ("resolver" in command.pipeline.pipelineRef) {
    for (const [k, v] of Object.entries(command.pipeline.pipelineRef.params)) templates.push([`${at}.pipeline.pipelineRef.params.${k}`, v]);
  }
  for (const [path, template] of templates) {
    for (const ref of templateReferences(template)) {
      if (!isKnownReference(ref, names)) problems.push(`${path}: unknown template variable {{${ref}}}${ref.startsWith("args.") ? ` (declare an argument named "${ref.slice(5)}")` : ""}`);
    }
  }
  return problems;
}
