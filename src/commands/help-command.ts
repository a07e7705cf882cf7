import type { CommandDefinition } from "./command-definition.js";

export const helpCommand: CommandDefinition = {
  verb: "help",
  builtin: "help",
  permission: "none",
  args: [
    {
      name: "command",
      positional: true,
      required: false,
      pattern: "^[a-z][a-z0-9_-]*$",
      description: "Show the help of one command only.",
    },
  ],
  help: {
    usage: "/help [command]",
    description: "List the commands mario understands, or explain one.",
    who: "anyone",
    examples: ["/help", "/help build"],
  },
};
