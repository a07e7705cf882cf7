import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it, vi } from "vitest";
import { loadStartup } from "../src/load-startup.js";
import { loadSettings, SettingsError } from "../src/settings.js";

const key = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const good = { APP_ID: "12", PRIVATE_KEY: key, WEBHOOK_SECRET: "a-long-secret" };

function problems(env: Record<string, string>): string[] {
  try {
    loadSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as SettingsError).problems;
  }
  throw new Error("settings were accepted");
}

describe("settings", () => {
  it("uses defaults for what is optional", () => {
    const s = loadSettings(good);
    expect(s).toMatchObject({ githubApiUrl: "https://api.github.com", redisUrl: "redis://127.0.0.1:6379", port: 3000, publicUrl: "http://localhost:3000", redisPrefix: "mario" });
  });

  it("builds the GitHub Enterprise API base from GHE_HOST and GHE_PROTOCOL, and accepts escaped newlines in the key", () => {
    const s = loadSettings({ ...good, PRIVATE_KEY: key.replace(/\n/g, "\\n"), GHE_HOST: "ghe.example.com:8443", GHE_PROTOCOL: "http", PUBLIC_URL: "https://mario.example.com/" });
    expect(s.githubApiUrl).toBe("http://ghe.example.com:8443/api/v3");
    expect(s.privateKey).toBe(key);
    expect(s.publicUrl).toBe("https://mario.example.com");
  });

  it("lists every problem at once", () => {
    const found = problems({ APP_ID: "my-app", PORT: "eighty", REDIS_URL: "localhost:6379", PUBLIC_URL: "not a url", LOG_LEVEL: "loud", GHE_HOST: "https://ghe.example.com" });
    expect(found).toEqual(
      expect.arrayContaining([
        "APP_ID must be the GitHub App's numeric id",
        "WEBHOOK_SECRET is required: the secret set on the GitHub App's webhook",
        "PORT must be a number",
        "REDIS_URL must start with redis:// or rediss://",
        "PUBLIC_URL must be an absolute http(s) URL, the address users reach mario at",
        "LOG_LEVEL must be one of trace, debug, info, warn, error, fatal",
        "GHE_HOST must be a host name, optionally with a port (no scheme, no path)",
        "PRIVATE_KEY or PRIVATE_KEY_PATH is required: the GitHub App's private key (PEM)",
      ]),
    );
  });

  it("rejects a key that is not PEM and a key file that cannot be read", () => {
    expect(problems({ ...good, PRIVATE_KEY: "ghp_notakey" })).toContain("the GitHub App private key is not a PEM private key (expected -----BEGIN RSA PRIVATE KEY-----)");
    const { PRIVATE_KEY: _, ...noKey } = good;
    expect(problems({ ...noKey, PRIVATE_KEY_PATH: "/nonexistent/key.pem" })).toContain("PRIVATE_KEY_PATH /nonexistent/key.pem cannot be read (ENOENT)");
  });

  it("names a kubeconfig that is not one, or that has no cluster, among the other problems", () => {
    const dir = mkdtempSync(join(tmpdir(), "mario-kube-"));
    const noCluster = join(dir, "empty-context");
    writeFileSync(noCluster, "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\ncurrent-context: prod\n");
    try {
      vi.stubEnv("KUBECONFIG", noCluster);
      expect(() => loadStartup({ ...good, APP_ID: "x" })).toThrow(
        new SettingsError(["APP_ID must be the GitHub App's numeric id", `KUBECONFIG ${noCluster} names no cluster for its current context "prod"`]),
      );
      vi.stubEnv("KUBECONFIG", join(dir, "missing"));
      expect(() => loadStartup(good)).toThrow(`KUBECONFIG ${join(dir, "missing")} cannot be read (ENOENT)`);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("makes `npm start`'s entry point stop with one clear message listing settings, config and kubeconfig problems, without printing secrets", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mario-start-"));
    const badConfig = join(dir, "mario.yaml");
    writeFileSync(badConfig, "defaults: { namespace: Mario_CI }\n");
    const missingKubeconfig = join(dir, "no-such-kubeconfig");
    const run = promisify(execFile);
    const env = { PATH: process.env.PATH ?? "", WEBHOOK_SECRET: "s3cret-value-xyz", APP_ID: "x", MARIO_CONFIG: badConfig, KUBECONFIG: missingKubeconfig };
    const result = await run(process.execPath, ["--import", "tsx", "src/main.ts"], { env }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(78);
    expect(result.stderr).toContain("mario cannot start; fix these settings:");
    expect(result.stderr).toContain("APP_ID must be the GitHub App's numeric id");
    expect(result.stderr).toContain(`MARIO_CONFIG ${badConfig}: defaults.namespace: must be a DNS-1123 label`);
    expect(result.stderr).toContain(`KUBECONFIG ${missingKubeconfig} cannot be read (ENOENT)`);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(result.stderr).not.toContain("s3cret-value-xyz");
  });
});
