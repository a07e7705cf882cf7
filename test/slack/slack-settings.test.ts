import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { packageRoot } from "../../src/package-root.js";
import { loadSettings, SettingsError } from "../../src/settings.js";
import { slackEventsPath } from "../../src/slack/slack-receiver.js";

const key = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const github = { APP_ID: "12", PRIVATE_KEY: key, WEBHOOK_SECRET: "a-long-secret" };

function problems(env: Record<string, string>): string[] {
  try {
    loadSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as SettingsError).problems;
  }
  throw new Error("settings were accepted");
}

describe("Slack settings", () => {
  it("are optional: without them mario runs without Slack", () => {
    expect(loadSettings(github).slack).toBeUndefined();
  });

  it("take the bot token, signing secret and API base (normalized to end in /api/)", () => {
    const s = loadSettings({ ...github, SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "0123456789abcdef", SLACK_API_URL: "https://slack-proxy.example.com/api" });
    expect(s.slack).toEqual({ botToken: "xoxb-1", signingSecret: "0123456789abcdef", appToken: undefined, apiUrl: "https://slack-proxy.example.com/api/" });
    expect(loadSettings({ ...github, SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1" }).slack).toMatchObject({ appToken: "xapp-1", apiUrl: "https://slack.com/api/" });
  });

  it("refuse half a setup and wrong kinds of token, naming the variable", () => {
    expect(problems({ ...github, SLACK_BOT_TOKEN: "xoxb-1" })).toEqual(["SLACK_SIGNING_SECRET is required with SLACK_BOT_TOKEN (or SLACK_APP_TOKEN for Socket Mode)"]);
    expect(problems({ ...github, SLACK_SIGNING_SECRET: "0123456789abcdef" })).toEqual(["SLACK_BOT_TOKEN is required when SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set"]);
    expect(problems({ ...github, SLACK_BOT_TOKEN: "xoxp-user-token", SLACK_SIGNING_SECRET: "0123456789abcdef" })).toEqual(["SLACK_BOT_TOKEN must be a bot token (xoxb-…)"]);
  });
});

describe("the slack: section of the config", () => {
  it("defaults when absent and names the path of a mistake", () => {
    expect(parseConfig("{}").slack).toMatchObject({ users: {}, groups: [], bindPermission: "maintain", channels: [] });
    expect(() => parseConfig("slack:\n  users:\n    alice: alice\n")).toThrow(/slack\.users.*must be a Slack user id/s);
    expect(() => parseConfig("slack:\n  groups:\n    - id: S0123\n      permission: boss\n")).toThrow(/slack\.groups\[0\]\.permission: Invalid option/);
  });
});

describe("slack-app.yml, the Slack app manifest", () => {
  const manifest = parse(readFileSync(join(packageRoot, "slack-app.yml"), "utf8"));

  it("points the /mario command and interactivity at mario's Slack endpoint", () => {
    const [command] = manifest.features.slash_commands;
    expect(command.command).toBe("/mario");
    expect(new URL(command.url).pathname).toBe(slackEventsPath);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(new URL(manifest.settings.interactivity.request_url).pathname).toBe(slackEventsPath);
  });

  it("asks for the bot scopes of the Web API methods mario calls, and no others", () => {
    // commands: the slash command; chat:write(.public): chat.postMessage/chat.update; usergroups:read: usergroups.users.list.
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(["chat:write", "chat:write.public", "commands", "usergroups:read"]);
  });
});
