import type { ArgConfig } from "../config/config-schema.js";

/** `^(image|docs)$` → `image|docs`: a positional argument whose pattern is a list of words reads as those words. */
function literalChoices(pattern: string): string | undefined {
  const m = /^\^\(?([A-Za-z0-9_-]+(?:\|[A-Za-z0-9_-]+)*)\)?\$$/.exec(pattern);
  return m?.[1];
}

function describeArg(arg: ArgConfig): string {
  if (arg.positional) {
    const word = literalChoices(arg.pattern) ?? `<${arg.name}>`;
    return arg.required ? word : `[${word}]`;
  }
  const pair = `${arg.name}=<${arg.name}>`;
  return arg.required ? pair : `[${pair}]`;
}

/** `/build image tag=<tag> [context=<context>]`, derived from the declared arguments. */
export function describeUsage(verb: string, args: readonly ArgConfig[]): string {
  const positional = args.filter((a) => a.positional).map(describeArg);
  const named = args.filter((a) => !a.positional);
  const parts = [...positional, ...named.filter((a) => a.required).map(describeArg), ...named.filter((a) => !a.required).map(describeArg)];
  return [`/${verb}`, ...parts].join(" ");
}
