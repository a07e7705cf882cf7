import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { packageRoot } from "../../src/package-root.js";

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const screenshotDir = join(packageRoot, "test-results", "screenshots");

/**
 * Debian's Chromium, headless, as root on a machine without internet (flags from the machine's notes). Playwright
 * gives every launch a fresh, empty user-data-dir of its own.
 */
export async function launchBrowser(): Promise<Browser> {
  mkdirSync(screenshotDir, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** In CI the browser must be there (.ci/run installs it); on a developer's machine without it the tests say so and skip. */
export const browserAvailable = existsSync(chromiumPath);
if (!browserAvailable && process.env.CI) throw new Error(`Chromium not found at ${chromiumPath}; .ci/run installs it (apt-get install chromium)`);
