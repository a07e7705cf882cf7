// The benchmark's floor: a bare Probot app that verifies the webhook signature and parses the comment's commands,
// and nothing else. mario's latency is reported as a multiple of this.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import { pino } from "pino";
import { parseCommands } from "../src/commands/parse-commands.js";

const probot = new Probot({
  appId: process.env.APP_ID,
  privateKey: process.env.PRIVATE_KEY,
  secret: process.env.WEBHOOK_SECRET,
  log: pino({ level: "warn" }),
  Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
});
let parsed = 0;
const middleware = await createNodeMiddleware(
  (app) => {
    app.on("issue_comment.created", async (context) => {
      parsed += parseCommands(context.payload.comment.body).commands.length;
    });
  },
  { probot },
);
const server = createServer((req, res) => {
  void middleware(req, res, () => res.writeHead(404).end());
});
server.listen(0, "127.0.0.1", () => console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`));
process.on("SIGTERM", () => {
  console.error(`floor parsed ${parsed} commands`);
  server.close(() => process.exit(0));
});
