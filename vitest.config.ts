import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file gets its own databases; two workers match the two cores CI has.
    maxWorkers: 2,
  },
});
