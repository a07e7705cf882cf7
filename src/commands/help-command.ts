import type { CommandDefinition, CommandRegistry } from "./command-definition.js";
import { renderCommandHelp, renderCommandTable } from "./render-help.js";

export const helpTable = (registry: CommandRegistry) => `these are the commands I understand:\n\n${renderCommandTable(registry)}`;

export const helpCommand: CommandDefinition = {
  verb: "help",
  permission: "none",
  args: [
    {
      name: "command",
      positional: true,
      required: false,
      pattern: "^[A-Za-z][A-Za-z0-9_-]*$",
      description: "Show the help of one command only.",
    },
  ],
  help: {
    usage: "/help [command]",
    description: "List the commands mario understands, or explain one.",
    who: "anyone",
    examples: ["/help", "/help build"],
  },
  async run(ctx) {
    const topic = ctx.args.command ? ctx.registry.get(ctx.args.command.toLowerCase()) : undefined;
    ctx.reply(topic ? `\n\n${renderCommandHelp(topic)}` : helpTable(ctx.registry));
  },
};
