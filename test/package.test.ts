/**
 * The package as a host on plain Node uses it: compiled JavaScript from dist/
 * (no tsx), imported by name, mounted in the host's own yoga server with the
 * REST routes served by `auth.plugins`.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD } from "./helpers.js";

const ROOT = path.resolve(import.meta.dirname, "..");

const HOST = `
import { createServer } from "node:http";
import { createYoga } from "graphql-yoga";
import { createAuth } from "graphql-auth";

const auth = await createAuth();
const yoga = createYoga({
  schema: auth.schema,
  context: ({ request, req }) => auth.contextFactory({ request, req }),
  plugins: auth.plugins,
});
const server = createServer(yoga);
server.listen(0, "127.0.0.1", () => console.log("host listening on " + server.address().port));
process.on("SIGTERM", () => server.close(() => auth.close().then(() => process.exit(0))));
`;

describe("the built package in a host on plain Node", () => {
  let dir: string;
  beforeAll(async () => {
    // dist/ is what `npm run build` made (test/global-setup.ts runs it before the suite, as `npm install` does).
    dir = await mkdtemp(path.join(tmpdir(), "auth-host-"));
    await mkdir(path.join(dir, "node_modules"));
    await symlink(ROOT, path.join(dir, "node_modules/graphql-auth"));
    await symlink(path.join(ROOT, "node_modules/graphql-yoga"), path.join(dir, "node_modules/graphql-yoga"));
    await writeFile(path.join(dir, "host.mjs"), HOST);
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("imports the compiled package by name and serves /graphql, the JWKS and readiness", async () => {
    const child = spawn(process.execPath, ["host.mjs"], {
      cwd: dir,
      env: { PATH: process.env.PATH, DATA_DIR: path.join(dir, "data"), LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    try {
      for (let i = 0; i < 300 && !/listening on \d+/.test(output) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 200));
      const port = /listening on (\d+)/.exec(output)?.[1];
      expect(port, output).toBeDefined();
      const base = `http://127.0.0.1:${port}`;
      const answer = await fetch(`${base}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: `mutation { signUpEmailPassword(email: "host@example.com", password: "${PASSWORD}") { __typename ... on SignUpEmailPasswordOk { session { accessToken } } } }`,
        }),
      });
      const { data } = await answer.json();
      expect(data.signUpEmailPassword.__typename).toBe("SignUpEmailPasswordOk");
      const jwks = await (await fetch(`${base}/.well-known/jwks.json`)).json();
      expect(jwks.keys.map((key: { kid: string }) => key.kid)).toContain(decodeProtectedHeader(data.signUpEmailPassword.session.accessToken).kid);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      expect(answer.headers.get("x-request-id")).toBeTruthy(); // the request log runs in the host too
      // Nothing of TypeScript was loaded: the process ran dist/.
      expect(output).not.toMatch(/tsx|\.ts:\d+/);
      child.kill("SIGTERM");
      expect(await new Promise((resolve) => child.once("exit", resolve))).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 150_000);
});
