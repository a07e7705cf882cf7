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
    await page.click("#comment-form button[type=submit]");
    // The PR pane refreshes by itself: the check run goes to success and mario's comment appears.
    await page.locator("tr.check", { hasText: "completed · success" }).waitFor({ timeout: 20_000 });
    await expect(page.locator(".comment", { hasText: "mario[bot]" }).first().textContent()).resolves.toContain("Succeeded");
    await page.screenshot({ path: join(screenshotDir, "sandbox-pr-after-build.png"), fullPage: true });

    await page.goto(`${sandbox.marioUrl}/`);
    const row = page.locator("table.runs tr", { hasText: "/build image tag=mario" });
    await expect(row.locator(".state").textContent()).resolves.toBe("succeeded");
    await page.screenshot({ path: join(screenshotDir, "dashboard-runs.png"), fullPage: true });

    await row.locator("a", { hasText: "/build image tag=mario" }).click();
    await page.locator("details summary", { hasText: "build-and-push" }).click();
    await expect(page.locator("pre").allTextContents()).resolves.toEqual(expect.arrayContaining([expect.stringContaining("[simulated] build/build-and-push done")]));
    await expect(page.textContent("body")).resolves.toContain("registry.example.com/demo/hello:mario@sha256:");
    await page.screenshot({ path: join(screenshotDir, "run-page.png"), fullPage: true });
  }, 60_000);
});
