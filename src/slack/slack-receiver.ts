import { createHash } from "node:crypto";
import { HTTPModuleFunctions, HTTPResponseAck, type App, type Logger as BoltLogger, type Receiver, type ReceiverEvent } from "@slack/bolt";
import type { Redis } from "ioredis";
import type { Route } from "../web/http-server.js";

export const slackEventsPath = "/slack/events";

export interface SlackReceiverOptions {
  signingSecret: string;
  redis: Redis;
  prefix: string;
  logger: BoltLogger;
}

/**
 * A Bolt receiver that lives on mario's own HTTP server as a Route at `/slack/events`. Same checks as Bolt's
 * HTTPReceiver (signature, 5-minute timestamp window → 401), plus one Bolt does not make: a request whose
 * signature was already seen is a replay and gets 401 too. Slack signs every delivery anew, retries included.
 */
export class SlackRouteReceiver implements Receiver {
  private app?: App;
  constructor(private readonly options: SlackReceiverOptions) {}

  init(app: App): void {
    this.app = app;
  }
  // The HTTP server is mario's; there is nothing to start or stop.
  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  readonly route: Route = async (req, res) => {
    const path = new URL(req.url ?? "/", "http://mario").pathname;
    if (path !== slackEventsPath || req.method !== "POST") return false;
    const { logger } = this.options;
    let buffered;
    try {
      buffered = await HTTPModuleFunctions.parseAndVerifyHTTPRequest({ signingSecret: this.options.signingSecret, bodyLimit: 1024 * 1024, logger }, req);
    } catch (error) {
      const tooLarge = HTTPModuleFunctions.isRawBodyError(error) && error.statusCode === 413;
      logger.warn(`Slack request refused: ${(error as Error).message}`);
      HTTPModuleFunctions.buildNoBodyResponse(res, tooLarge ? 413 : 401);
      return true;
    }
    let body;
    try {
      body = HTTPModuleFunctions.parseHTTPRequestBody(buffered);
    } catch {
      HTTPModuleFunctions.buildNoBodyResponse(res, 400);
      return true;
    }
    if (body.ssl_check === "1") {
      HTTPModuleFunctions.buildSSLCheckResponse(res);
      return true;
    }
    if (await this.replayed(String(req.headers["x-slack-signature"]), 750)) {
      logger.warn("Slack request refused: this signature was already used (replay)");
      HTTPModuleFunctions.buildNoBodyResponse(res, 401);
      return true;
    }
    if (body.type === "url_verification") {
      HTTPModuleFunctions.buildUrlVerificationResponse(res, body);
      return true;
    }
    const ack = new HTTPResponseAck({ logger, processBeforeResponse: false, httpRequest: buffered, httpRequestBody: body, httpResponse: res });
    const event: ReceiverEvent = {
      body,
      ack: ack.bind(),
      retryNum: HTTPModuleFunctions.extractRetryNumFromHTTPRequest(req),
      retryReason: HTTPModuleFunctions.extractRetryReasonFromHTTPRequest(req),
    };
    try {
      await this.app?.processEvent(event);
    } catch (error) {
      logger.error(`Slack event failed: ${(error as Error).message}`);
      if (!res.headersSent) HTTPModuleFunctions.buildNoBodyResponse(res, 500);
    }
    return true;
  };

  /**
   * True when the same signature came before (kept past Slack's 5-minute timestamp window). When Redis is too slow
   * to say, the request goes on: Slack's 3 s matter more, and a replayed command still runs once, because the
   * queue keys it by its trigger id.
   */
  private async replayed(signature: string, budgetMs: number): Promise<boolean> {
    const key = `${this.options.prefix}slack:seen:${createHash("sha256").update(signature).digest("hex").slice(0, 32)}`;
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<"slow">((resolve) => (timer = setTimeout(() => resolve("slow"), budgetMs)));
    try {
      const set = this.options.redis.set(key, "1", "EX", 600, "NX");
      set.catch(() => undefined); // too late to matter once the request went on
      const answer = await Promise.race([set, slow]);
      if (answer === "slow") this.options.logger.warn("Redis is slow; the replay check was skipped for this request");
      return answer === null;
    } finally {
      clearTimeout(timer);
    }
  }
}
