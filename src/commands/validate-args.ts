import { matchesArgPattern } from "../config/arg-pattern.js";
import { renderTemplate, type TemplateContext } from "../config/render-template.js";
import type { CommandDefinition } from "./command-definition.js";
import type { ParsedCommand } from "./command-types.js";

export interface ArgProblem {
  argument?: string;
  message: string;
}

export type ArgValidation = { ok: true; args: Record<string, string> } | { ok: false; problems: ArgProblem[] };

/**
 * Checks a parsed command against its declared arguments and fills in defaults. Every value that will reach
 * a PipelineRun, defaults included, must match the argument's pattern: the pattern is the security boundary.
 */
export function validateArgs(
  command: CommandDefinition,
  parsed: Pick<ParsedCommand, "positional" | "named">,
  context: Omit<TemplateContext, "args">,
): ArgValidation {
  const problems: ArgProblem[] = [];
  const values: Record<string, string> = {};
  const positional = command.args.filter((a) => a.positional);
  const named = new Map(command.args.filter((a) => !a.positional).map((a) => [a.name, a]));

  parsed.positional.forEach((word, i) => {
    const arg = positional[i];
    if (!arg) {
      problems.push({ argument: word, message: `unexpected word \`${quote(word)}\`: ${positional.length === 0 ? "this command takes no positional words" : `at most ${positional.length} expected (${positional.map((a) => a.name).join(", ")})`}` });
    } else {
      values[arg.name] = word;
    }
  });
  for (const [key, value] of Object.entries(parsed.named)) {
    const arg = named.get(key);
    if (!arg) {
      const accepted = [...named.keys()];
      problems.push({ argument: key, message: `unknown argument \`${quote(key)}\`; ${accepted.length ? `accepted: ${accepted.join(", ")}` : "this command takes no key=value arguments"}` });
    } else {
      values[key] = value;
    }
  }
  for (const arg of command.args) {
    if (values[arg.name] === undefined && arg.default !== undefined) values[arg.name] = renderTemplate(arg.default, { ...context, args: values });
    const value = values[arg.name];
    if (value === undefined) {
      if (arg.required) problems.push({ argument: arg.name, message: `missing required argument \`${arg.positional ? `<${arg.name}>` : `${arg.name}=`}\` (${arg.description})` });
      continue;
    }
    if (!matchesArgPattern(arg.pattern, value)) problems.push({ argument: arg.name, message: `\`${quote(value)}\` is not a valid ${arg.name}: it must match \`${arg.pattern}\`` });
  }
  return problems.length ? { ok: false, problems } : { ok: true, args: values };
}

/** Values are echoed back in Markdown code spans: keep them short and free of backticks and newlines. */
function quote(value: string): string {
  const flat = value.replace(/[`\r\n]/g, "'");
  return flat.length > 60 ? `${flat.slice(0, 57)}…` : flat;
}
