/**
 * Behind PgBouncer in transaction mode (Debian's 1.18: older than 1.21, so no
 * prepared statements across transactions): each transaction may land on a
 * different server connection.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/database.js";
import { PASSWORD, REFRESH, SIGN_IN, bearer, createPostgresDatabase, signUp, startApp } from "./helpers.js";
import { randomPort } from "./processes.js";

const PGBOUNCER = "/usr/sbin/pgbouncer";

/** PgBouncer in front of the test database's server, pooling two server connections in transaction mode. */
async function startPgBouncer(target: URL): Promise<{ port: number; stop(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "pgbouncer-"));
  const port = randomPort();
  await writeFile(path.join(dir, "users.txt"), `"${target.username}" ""\n`);
  await writeFile(
    path.join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `* = host=${target.hostname} port=${target.port || 5432}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${path.join(dir, "users.txt")}`,
      "pool_mode = transaction",
      "default_pool_size = 2",
      "max_client_conn = 200",
      "ignore_startup_parameters = extra_float_digits,options",
    ].join("\n"),
  );
  // PgBouncer will not run as root; it drops to the postgres user, who must read the files.
  await chmod(dir, 0o755);
  const root = process.getuid?.() === 0;
  const child: ChildProcess = spawn(PGBOUNCER, [...(root ? ["-u", "postgres"] : []), path.join(dir, "pgbouncer.ini")], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => resolve(socket.end() && true)).on("error", () => resolve(false));
    });
    if (up) break;
    if (i > 100 || child.exitCode !== null) throw new Error(`pgbouncer did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe.runIf(process.env.TEST_DATABASE_URL && existsSync(PGBOUNCER))("behind PgBouncer in transaction mode", () => {
  let direct: { url: string; drop(): Promise<void> };
  let bouncer: { port: number; stop(): Promise<void> };
  let pooled: string;
  beforeAll(async () => {
    direct = await createPostgresDatabase();
    bouncer = await startPgBouncer(new URL(direct.url));
    const url = new URL(direct.url);
    url.host = `127.0.0.1:${bouncer.port}`;
    pooled = url.toString();
  });
  afterAll(async () => {
    await bouncer?.stop();
    await direct?.drop();
  });

  it("with DATABASE_PREPARED_STATEMENTS=off (and DATABASE_DIRECT_URL for migrations and LISTEN) signs up, in, refreshes and streams events under load", async () => {
    const database = await openDatabase({ url: pooled, directUrl: direct.url, preparedStatements: false, poolSize: 10 });
    // Migrates a fresh database at start, through the direct URL.
    const app = await startApp("postgres", { database, env: { SECURITY_EVENTS_POLL_INTERVAL: "1h" } });
    try {
      // Twenty client connections' worth of work on two server connections.
      const accounts = await Promise.all(Array.from({ length: 12 }, (_, i) => signUp(app, `pooled-${i}@example.com`)));
      const signIns = await Promise.all(accounts.map(({ user }) => app.gql(SIGN_IN, { email: user.email, password: PASSWORD })));
      expect(signIns.map((answer) => answer.errors ?? answer.data.signInEmailPassword.__typename)).toEqual(Array(12).fill("SignInEmailPasswordOk"));
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(
          signIns.map(({ data }) => app.gql(`{ me { email } }`, undefined, bearer(data.signInEmailPassword.session.accessToken))),
        );
        expect(answers.map((answer) => answer.data?.me?.email)).toEqual(accounts.map(({ user }) => user.email));
      }
      const refreshed = await Promise.all(accounts.map(({ session }) => app.gql(REFRESH, { refreshToken: session.refreshToken })));
      expect(refreshed.map((answer) => answer.data.refreshSession.__typename)).toEqual(Array(12).fill("RefreshSessionOk"));

      // securityEvents: LISTEN holds a session, so it goes to PostgreSQL directly.
      const controller = new AbortController();
      const stream = await app.fetch("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream", ...bearer(accounts[0]!.session.accessToken) },
        body: JSON.stringify({ query: "subscription { securityEvents { type } }" }),
        signal: controller.signal,
      });
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
      await app.gql(SIGN_IN, { email: accounts[0]!.user.email, password: PASSWORD });
      let received = "";
      while (!received.includes("user.signed_in")) received += (await reader.read()).value ?? "";
      controller.abort();
    } finally {
      await app.auth.close();
    }
  });
});
