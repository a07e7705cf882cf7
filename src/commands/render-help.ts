import type { CommandDefinition, CommandRegistry } from "./command-definition.js";

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The Markdown table of commands: the `/help` reply and the README's command table. */
export function renderCommandTable(registry: CommandRegistry): string {
  const rows = [...registry.values()].map(
    (c) => `| \`${cell(c.help.usage)}\` | ${cell(c.help.description)} | ${cell(c.help.who)} | ${c.help.examples.map((e) => `\`${cell(e)}\``).join("<br>")} |`,
  );
  return ["| command | what it does | who may use it | examples |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** One command in full: usage, description, who, every argument with its pattern and default. */
export function renderCommandHelp(command: CommandDefinition): string {
  const lines = [`**\`${command.help.usage}\`** — ${command.help.description}`, "", `Who may use it: ${command.help.who}.`];
  if (command.args.length > 0) {
    lines.push("", "| argument | required | default | accepted values | meaning |", "| --- | --- | --- | --- | --- |");
    for (const arg of command.args) {
      const name = arg.positional ? `${arg.name} (positional)` : `${arg.name}=`;
      lines.push(`| \`${cell(name)}\` | ${arg.required ? "yes" : "no"} | ${arg.default === undefined ? "" : `\`${cell(arg.default)}\``} | \`${cell(arg.pattern)}\` | ${cell(arg.description)} |`);
    }
  }
  if (command.help.examples.length > 0) lines.push("", "Examples:", ...command.help.examples.map((e) => `- \`${e}\``));
  return lines.join("\n");
}
