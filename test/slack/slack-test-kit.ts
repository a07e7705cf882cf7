import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { join } from "node:path";
import { packageRoot } from "../../src/package-root.js";
import { startFakeSlack, type FakeSlack } from "../fakes/fake-slack.js";
import { buttonBody, buttonPayload, formType, postSigned, signSlackBody, slashCommandBody, slashCommandPayload, type ButtonFields } from "../fakes/fake-slack-requests.js";
import type { SocketAck } from "../fakes/fake-slack-socket.js";
import { startTestMario, type TestMario } from "../support/test-mario.js";

export const signingSecret = "test-slack-signing-secret";
/** The channel most tests type in; the bot is a member. */
export const channel = "C0CI";

/** alice (write on octo/demo) and bob (read) are mapped; dave is in a user group with write; erin is nobody. */
export const users = { alice: "U0ALICE", bob: "U0BOB", dave: "U0DAVE", erin: "U0ERIN" } as const;

export const slackSection = `
slack:
  users:
    ${users.alice}: alice
    ${users.bob}: bob
  groups:
    - id: S0OPS
      permission: write
      repos: ["octo/*"]
  bindPermission: write
  updateIntervalMs: 100
`;

export interface SlackMario {
  t: TestMario;
  slack: FakeSlack;
  events: string;
  /** Types `/mario <text>` in a channel; returns the HTTP answer and the response_url the answer goes to. */
  slash(text: string, opts?: { user?: string; channel?: string; triggerId?: string }): Promise<{ status: number; text: string; responseUrl: string }>;
  /** Presses a button of a run message. */
  press(fields: PressFields): Promise<{ status: number; responseUrl: string }>;
  /** The same over Socket Mode: an envelope on the app's socket; resolves with mario's ack. */
  socket: {
    slash(text: string, opts?: { user?: string; channel?: string }): Promise<{ ack: SocketAck; responseUrl: string }>;
    press(fields: PressFields): Promise<{ ack: SocketAck; responseUrl: string }>;
  };
  close(): Promise<void>;
}

type PressFields = Omit<ButtonFields, "responseUrl" | "userId" | "channelId"> & { user?: string; channel?: string };

/**
 * The real mario with Slack configured, against the fake Slack, GitHub and Kubernetes. `replicaOf`: another
 * replica on the same fakes, Redis prefix and config; closing it closes only that mario.
 */
export async function startSlackMario(
  opts: {
    config?: string;
    retryAttempts?: number;
    socketMode?: boolean;
    env?: Record<string, string>;
    configure?: (config: Record<string, Record<string, unknown>>) => void;
    replicaOf?: SlackMario;
  } = {},
): Promise<SlackMario> {
  const shared = opts.replicaOf;
  const slack = shared?.slack ?? (await startFakeSlack());
  slack.addChannel(channel);
  slack.setUserGroup("S0OPS", [users.dave]);
  // The repository's own config, plus the Slack section (and whatever a test changes).
  const config = { ...parse(readFileSync(join(packageRoot, "config", "mario.yaml"), "utf8")), ...parse(opts.config ?? slackSection) };
  opts.configure?.(config);
  const t = await startTestMario({
    replicaOf: shared?.t,
    config: stringify(config),
    env: {
      ...(opts.socketMode ? { SLACK_APP_TOKEN: slack.appToken } : { SLACK_SIGNING_SECRET: signingSecret }),
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_API_URL: slack.apiUrl,
      ...opts.env,
    },
    retryAttempts: opts.retryAttempts,
  });
  const events = `${t.mario.url}/slack/events`;
  return {
    t,
    slack,
    events,
    async slash(text, o = {}) {
      const responseUrl = slack.responseUrl();
      const body = slashCommandBody({ text, userId: o.user ?? users.alice, channelId: o.channel ?? channel, responseUrl, triggerId: o.triggerId });
      return { ...(await postSigned(events, signSlackBody(signingSecret, body, formType))), responseUrl };
    },
    async press(f) {
      const responseUrl = slack.responseUrl();
      const body = buttonBody({ ...f, userId: f.user ?? users.alice, channelId: f.channel ?? channel, responseUrl });
      const res = await postSigned(events, signSlackBody(signingSecret, body, formType));
      return { status: res.status, responseUrl };
    },
    socket: {
      async slash(text, o = {}) {
        const responseUrl = slack.responseUrl();
        return { ack: await slack.socket.send("slash_commands", slashCommandPayload({ text, userId: o.user ?? users.alice, channelId: o.channel ?? channel, responseUrl })), responseUrl };
      },
      async press(f) {
        const responseUrl = slack.responseUrl();
        return { ack: await slack.socket.send("interactive", buttonPayload({ ...f, userId: f.user ?? users.alice, channelId: f.channel ?? channel, responseUrl })), responseUrl };
      },
    },
    async close() {
      await t.close();
      if (!shared) await slack.close();
    },
  };
}

/** The text of the (first) ephemeral answer posted to a response_url. */
export const answerText = (slack: FakeSlack, responseUrl: string) => slack.responses(responseUrl)[0]?.body.text;

/** All mrkdwn/plain text of a message's blocks, joined, for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function blockText(blocks: any[]): string {
  const out: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const walk = (node: any) => {
    if (!node || typeof node !== "object") return;
    if (typeof node.text === "string") out.push(node.text);
    for (const value of Object.values(node)) if (typeof value === "object") walk(value);
  };
  blocks.forEach(walk);
  return out.join("\n");
}

/** Action ids of the buttons on a message. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const buttons = (blocks: any[]) => blocks.filter((b) => b.type === "actions").flatMap((b) => b.elements.map((e: { action_id: string }) => e.action_id));

/** After a test: neither fake saw a request that breaks its API, then mario and the fakes close. */
export async function closeChecked(s: SlackMario | undefined): Promise<void> {
  s?.t.github.assertNoViolations();
  s?.slack.assertNoViolations();
  await s?.close();
}
