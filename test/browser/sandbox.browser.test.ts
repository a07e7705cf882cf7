import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox } from "../../sandbox/start-sandbox.js";
import { redisUrl } from "../support/test-redis.js";
import { browserAvailable, launchBrowser, screenshotDir } from "../support/browser.js";

let sandbox: Awaited<ReturnType<typeof startSandbox>>;
let browser: Browser;
let page: Page;

describe.skipIf(!browserAvailable)("the sandbox in a real browser", () => {
  beforeAll(async () => {
    sandbox = await startSandbox({ marioPort: 0, pagePort: 0, log: false, redisUrl: redisUrl() });
    browser = await launchBrowser();
    page = await browser.newPage();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  it("a /build image tag=mario comment posted on the sandbox page leads to a run on the dashboard with its log", async () => {
    await page.goto(`${sandbox.url}/?pr=1`);
    await expect(page.locator(".banner").textContent()).resolves.toContain("simulated");
    await page.selectOption("select[name=user]", "maria");
    await page.fill("textarea[name=body]", "/build image tag=mario");
    await page.click("#comment-button");
    // The PR pane refreshes by itself: the check run goes to success and mario's comment appears.
    await page.locator("tr.check", { hasText: "completed · success" }).waitFor({ timeout: 20_000 });
    await expect(page.locator(".comment", { hasText: "mario[bot]" }).first().textContent()).resolves.toContain("Succeeded");
    await page.screenshot({ path: join(screenshotDir, "sandbox-pr-after-build.png"), fullPage: true });

    await page.goto(`${sandbox.marioUrl}/`);
    await expect(page.locator(".banner").textContent()).resolves.toContain("simulated"); // mario's own pages say so too
    const row = page.locator("table.runs tr", { hasText: "/build image tag=mario" });
    await expect(row.locator(".state").textContent()).resolves.toBe("succeeded");
    await page.screenshot({ path: join(screenshotDir, "dashboard-runs.png"), fullPage: true });

    await row.locator("a", { hasText: "/build image tag=mario" }).click();
    await page.locator("details summary", { hasText: "build-and-push" }).click();
    await expect(page.locator("pre").allTextContents()).resolves.toEqual(expect.arrayContaining([expect.stringContaining("[simulated] build/build-and-push done")]));
    await expect(page.textContent("body")).resolves.toContain("registry.example.com/demo/hello:mario@sha256:");
    await page.screenshot({ path: join(screenshotDir, "run-page.png"), fullPage: true });
  }, 60_000);

  it("a PR labelled lgtm and approved on the sandbox page is merged by the queue and shown in its history", async () => {
    await page.goto(`${sandbox.url}/?pr=1`);
    await page.click("button[name=label][value=lgtm] >> text=+ lgtm");
    await page.waitForURL(/\?pr=1&as=maria$/);
    await page.click("button[name=label][value=approved] >> text=+ approved");
    await page.waitForURL(/\?pr=1&as=maria$/);
    // The simulated CI passes the staging commit; the pane refreshes by itself until the PR shows as merged.
    await page.locator("#pr-pane h2", { hasText: "merged" }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(screenshotDir, "sandbox-pr-merged.png"), fullPage: true });

    await page.goto(`${sandbox.marioUrl}/queue`);
    await expect(page.locator("section.pool h2").first().textContent()).resolves.toBe("demo/hello:main");
    await page.locator("section.pool h2 a", { hasText: "demo/hello:main" }).click();
    const merged = page.locator("table.history tr", { hasText: "merged" }).filter({ hasText: "#1" });
    await merged.first().waitFor({ timeout: 10_000 });
    await expect(merged.first().textContent()).resolves.toMatch(/merged as [0-9a-f]{7}/);
    await page.screenshot({ path: join(screenshotDir, "merge-queue.png"), fullPage: true });

    // The simulated Slack channel got the merge; a /mario command typed on the page is answered there.
    await page.goto(`${sandbox.url}/?pr=1`);
    await page.locator(".slack-message", { hasText: "Merged demo/hello#1" }).waitFor({ timeout: 15_000 });
    await page.selectOption("#slash-form select[name=user]", "rey");
    await page.fill("#slash-form input[name=text]", "queue");
    await page.click("#slash-form button[type=submit]");
    await page.locator(".slack-answer", { hasText: "merge queue" }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(screenshotDir, "sandbox-slack.png"), fullPage: true });
  }, 60_000);

  it("pushes and labels as the demo user chosen in the form", async () => {
    await page.goto(`${sandbox.url}/?pr=2`);
    await page.selectOption("#comment-form select[name=user]", "otto");
    await page.click("#push-button");
    await page.waitForURL(/\?pr=2&as=otto$/);
    await page.locator(".event", { hasText: "otto pushed commit" }).waitFor({ timeout: 10_000 });
    // The choice is kept after the page reloads: the next button acts as otto too.
    await page.click('button[name=label][value="do-not-merge/hold"] >> text=+ do-not-merge/hold');
    await page.locator(".event", { hasText: "otto added the label do-not-merge/hold" }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(screenshotDir, "sandbox-push-as-otto.png"), fullPage: true });
  }, 30_000);
});
