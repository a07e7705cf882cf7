import { App } from "@slack/bolt";
import type { Logger } from "pino";
import type { Redis } from "ioredis";
import { slackApp } from "../../handlers/slack-app.js";
import type { SlackSettings } from "../settings.js";
import type { Route } from "../web/http-server.js";
import type { WorkQueue } from "../work/work-queue.js";
import { boltLogger } from "./bolt-logger.js";
import { SlackRouteReceiver } from "./slack-receiver.js";

export interface SlackIntake {
  /** `/slack/events` on mario's HTTP server (none in Socket Mode). */
  routes: Route[];
  close(): Promise<void>;
}

/**
 * Receiving from Slack: the Bolt app over Socket Mode when an app-level token is set, else on mario's server at
 * `/slack/events`. Slash commands and buttons become queued jobs. Only processes that take intake call this.
 */
export async function startSlackIntake(settings: SlackSettings, deps: { redis: Redis; prefix: string; queue: WorkQueue; log: Logger }): Promise<SlackIntake> {
  const logger = boltLogger(deps.log);
  const authorize = async () => ({ botToken: settings.botToken });
  const clientOptions = { slackApiUrl: settings.apiUrl };
  if (settings.appToken) {
    // The Socket Mode client makes its own Web API client (apps.connections.open) from installerOptions.
    const app = new App({ socketMode: true, appToken: settings.appToken, authorize, clientOptions, installerOptions: { clientOptions }, logger });
    queueFrom(app, deps.queue);
    await app.start();
    return { routes: [], close: async () => void (await app.stop()) };
  }
  const receiver = new SlackRouteReceiver({ signingSecret: settings.signingSecret!, redis: deps.redis, prefix: deps.prefix, logger });
  queueFrom(new App({ receiver, authorize, clientOptions, logger }), deps.queue);
  return { routes: [receiver.route], close: async () => {} };
}

function queueFrom(app: App, queue: WorkQueue): void {
  slackApp(app, {
    command: (event) => queue.add("slack-command", event, event.deliveryId),
    action: (event) => queue.add("slack-action", event, event.deliveryId),
  });
}
