import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests each start servers on loopback ports and use their own Redis key prefix,
    // so files may run in parallel; keep it to the machine's two cores.
    maxWorkers: 2,
    globalSetup: ["test/support/global-setup.ts"],
  },
});
