// Generates the Prisma client into src/generated/prisma (run by postinstall).
// Generation never runs the schema engine, but the CLI tries to download one
// unless PRISMA_SCHEMA_ENGINE_BINARY names an existing file; there is no
// internet to download from here, and migrations use the WASM engine instead.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

// Installed as a package (dist/ holds the compiled client), there is nothing to generate.
if (!existsSync(fileURLToPath(new URL("../src/", import.meta.url)))) process.exit(0);

const placeholder = fileURLToPath(new URL("./generate-client.mjs", import.meta.url));
const result = spawnSync("npx", ["prisma", "generate"], {
  stdio: "inherit",
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? placeholder, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
});
process.exit(result.status ?? 1);
