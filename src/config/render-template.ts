/**
 * `{{name}}` templates in config values (pipeline params, argument defaults). Deliberately tiny: no logic,
 * no escaping, a fixed set of names, so an operator can read exactly what reaches a PipelineRun.
 */

export interface TemplateContext {
  repo: { owner: string; name: string; fullName: string; cloneUrl: string; htmlUrl: string };
  pr: { number: number; headSha: string; headRef: string; baseRef: string; baseSha: string };
  requester: string;
  command: string;
  args: Record<string, string>;
}

export const templateVariables = [
  "repo.owner",
  "repo.name",
  "repo.fullName",
  "repo.cloneUrl",
  "repo.htmlUrl",
  "pr.number",
  "pr.headSha",
  "pr.headRef",
  "pr.baseRef",
  "pr.baseSha",
  "requester",
  "command",
] as const;

const placeholder = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/** The names a template refers to, e.g. `["pr.number", "args.tag"]`. */
export function templateReferences(template: string): string[] {
  return [...template.matchAll(placeholder)].map((m) => m[1]!);
}

export function isKnownReference(name: string, argNames: ReadonlySet<string>): boolean {
  if (name.startsWith("args.")) return argNames.has(name.slice("args.".length));
  return (templateVariables as readonly string[]).includes(name);
}

export function renderTemplate(template: string, ctx: TemplateContext): string {
  return template.replace(placeholder, (_, name: string) => lookup(name, ctx));
}

function lookup(name: string, ctx: TemplateContext): string {
  if (name.startsWith("args.")) return ctx.args[name.slice("args.".length)] ?? "";
  const [head, tail] = name.split(".", 2) as [keyof TemplateContext, string | undefined];
  const value = ctx[head];
  if (tail === undefined) return typeof value === "object" ? "" : String(value ?? "");
  return String((value as unknown as Record<string, unknown>)?.[tail] ?? "");
}
