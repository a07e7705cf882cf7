import { describe, expect, it } from "vitest";
import { markdownToSlack, slackCode, slashCommandText } from "../../src/slack/slack-text.js";
import { splitSlashText } from "../../src/slack/slash-text.js";

describe("splitSlashText: routing a /mario text without touching the shared grammar", () => {
  it.each([
    ["build image tag=mario repo=octo/demo pr=42", { verb: "build", rest: "image tag=mario", repo: "octo/demo", pr: "42" }],
    ["Build image PR=7 Repo=o/r", { verb: "build", rest: "image", repo: "o/r", pr: "7" }],
    ['build image msg="see pr=3 here" pr=4', { verb: "build", rest: 'image msg="see pr=3 here"', pr: "4" }],
    ['build repo="o/r"', { verb: "build", rest: "", repo: "o/r" }],
    ["/build image", { verb: "build", rest: "image" }],
    ["", { verb: "help", rest: "" }],
  ])("%s", (text, expected) => {
    expect(splitSlashText(text)).toMatchObject(expected);
  });
});

describe("Slack text", () => {
  it("decodes what Slack escapes in slash command text and straightens smart quotes", () => {
    expect(slashCommandText("build msg=\u201Ca &amp; b &lt;c&gt;\u201D\nx")).toBe('build msg="a & b <c>" x');
  });

  it("turns the shared handler's Markdown into mrkdwn, with commands as typed in Slack", () => {
    expect(markdownToSlack("**Usage**: `/build image` — see [docs](https://x.test/a) & <b>")).toBe("*Usage*: `/mario build image` — see <https://x.test/a|docs> &amp; &lt;b&gt;");
  });

  it("keeps user text inert in code spans", () => {
    expect(slackCode("a`b <@U1> *x*")).toBe("`aˋb &lt;@U1&gt; *x*`");
  });
});
