import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module) builds; Node loads the CJS one for
    // yoga and envelop, so our code must get the same one or `instanceof GraphQLError` fails.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    // One migrated database to copy from, made before the workers start (test/global-setup.ts).
    globalSetup: ["test/global-setup.ts"],
    pool: "forks",
    // Test files share each worker's loaded modules (every app is built fresh per test file,
    // nothing is kept at module level but caches of code: the schema engine's WASM, the template).
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file gets its own databases; two workers match the two cores CI has.
    maxWorkers: 2,
  },
});
