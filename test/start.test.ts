/** The server as an operator starts it: `npm start` in processes of their own. */
import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ENCRYPTION_KEY, createPostgresDatabase } from "./helpers.js";
import { type ServerProcess, startServerProcess } from "./processes.js";

const POSTGRES = Boolean(process.env.TEST_DATABASE_URL);

const signUp = (port: number, email: string, selection = "") =>
  fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: `mutation { signUpEmailPassword(email: "${email}", password: "correct horse battery") { __typename ${selection ? `... on SignUpEmailPasswordOk { ${selection} }` : ""} } }`,
    }),
  });

/** What a failed start printed: one line of advice, not a stack trace. */
function expectNoStack(output: string): void {
  expect(output).not.toMatch(/^\s+at /m);
  expect(output).not.toMatch(/wasm/i);
}

describe("npm start", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "auth-start-"));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it("serves on the embedded database with no configuration and stops cleanly on SIGTERM", async () => {
    const server = startServerProcess({ DATA_DIR: dataDir });
    try {
      expect(await server.waitFor("listening"), server.output()).toBe(true);
      const answer = signUp(server.port, "start@example.com");
      // SIGTERM while the sign-up (an argon2 hash) is in flight: it still completes.
      await new Promise((r) => setTimeout(r, 5));
      server.kill("SIGTERM");
      const response = await answer;
      expect(await response.json()).toEqual({ data: { signUpEmailPassword: { __typename: "SignUpEmailPasswordOk" } } });
      expect(await server.exited).toBe(0);
      expect(server.output()).toContain("stopped");
    } finally {
      server.kill();
    }
  }, 150_000);

  it("on SIGTERM finishes the requests it took, also those whose client hung up, before closing the database", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "auth-start-drain-"));
    const emails = Array.from({ length: 10 }, (_, i) => `gone${i}@example.com`);
    let server = startServerProcess({ DATA_DIR: folder });
    try {
      expect(await server.waitFor("listening"), server.output()).toBe(true);
      // Warm (modules load on first use), so the server reads what follows at once.
      expect((await signUp(server.port, "first@example.com")).status).toBe(200);
      // Ten sign-ups (an argon2id hash each, two at a time): read at once, hashed for longer than the client waits.
      const requests = emails.map((email) => {
        const request = httpRequest({
          port: server.port,
          host: "127.0.0.1",
          path: "/graphql",
          method: "POST",
          headers: { "content-type": "application/json" },
        });
        request.on("error", () => {});
        request.end(JSON.stringify({ query: `mutation { signUpEmailPassword(email: "${email}", password: "correct horse battery") { __typename } }` }));
        return request;
      });
      await new Promise((r) => setTimeout(r, 50));
      for (const request of requests) request.destroy();
      server.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      expect(server.output()).toContain("stopped");
      expect(server.output()).not.toMatch(/"level":50|pool|closed/i);

      // Each sign-up the server took was finished whole: its account signs in. One it had not read yet
      // (a loaded machine) left nothing behind: the address signs up afresh.
      server = startServerProcess({ DATA_DIR: folder });
      expect(await server.waitFor("listening"), server.output()).toBe(true);
      const outcomes = [];
      for (const email of emails) {
        const response = await fetch(`http://127.0.0.1:${server.port}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: `mutation { signInEmailPassword(email: "${email}", password: "correct horse battery") { __typename } }` }),
        });
        const { data } = (await response.json()) as { data: { signInEmailPassword: { __typename: string } } };
        if (data.signInEmailPassword.__typename === "SignInEmailPasswordOk") {
          outcomes.push("finished");
        } else {
          expect(data.signInEmailPassword.__typename).toBe("WrongCredentialsError");
          expect(await (await signUp(server.port, email)).json()).toEqual({ data: { signUpEmailPassword: { __typename: "SignUpEmailPasswordOk" } } });
          outcomes.push("never taken");
        }
      }
      expect(outcomes).toContain("finished");
    } finally {
      server.kill();
      await rm(folder, { recursive: true, force: true });
    }
  }, 150_000);

  it("drains on SIGTERM: /readyz answers 503 through SHUTDOWN_DELAY while /healthz and requests still work", async () => {
    const server = startServerProcess({ DATA_DIR: dataDir, SHUTDOWN_DELAY: "3s" });
    try {
      expect(await server.waitFor("listening"), server.output()).toBe(true);
      const url = `http://127.0.0.1:${server.port}`;
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      server.kill("SIGTERM");
      expect(await server.waitFor("draining")).toBe(true);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: "draining" });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(await server.exited).toBe(0);
    } finally {
      server.kill();
    }
  }, 150_000);

  it("refuses a port already in use with one line naming it, and exits non-zero", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "0.0.0.0", resolve));
    const port = (taken.address() as { port: number }).port;
    const server = startServerProcess({ DATA_DIR: dataDir }, port);
    try {
      expect(await server.exited).toBe(1);
      expect(server.output()).toContain(`port ${port} is already in use`);
      expectNoStack(server.output());
    } finally {
      server.kill();
      taken.close();
    }
  }, 150_000);

  it("says plainly when the database cannot be reached, and exits non-zero", async () => {
    const server = startServerProcess({ DATABASE_URL: "postgresql://postgres@127.0.0.1:9/auth" });
    try {
      expect(await server.exited).toBe(1);
      expect(server.output()).toMatch(/could not reach the database/i);
      expect(server.output()).toContain("127.0.0.1:9");
      expectNoStack(server.output());
    } finally {
      server.kill();
    }
  }, 150_000);
});

describe("one embedded data folder", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "auth-datadir-"));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it("serves one process: a second exits non-zero naming the folder and the holder, and the first keeps serving", async () => {
    const first = startServerProcess({ DATA_DIR: dataDir });
    let second: ServerProcess | undefined;
    try {
      expect(await first.waitFor("listening"), first.output()).toBe(true);
      second = startServerProcess({ DATA_DIR: dataDir });
      expect(await second.exited, second.output()).toBe(1);
      expect(second.output()).toContain(dataDir);
      expect(second.output()).toContain(`PID ${first.child.pid}`);
      expectNoStack(second.output());
      expect((await fetch(`http://127.0.0.1:${first.port}/healthz`)).status).toBe(200);
      expect(await (await signUp(first.port, "first@example.com")).json()).toEqual({
        data: { signUpEmailPassword: { __typename: "SignUpEmailPasswordOk" } },
      });
    } finally {
      first.kill();
      second?.kill();
    }
    await first.exited;
    // A holder that died without cleaning up leaves a lock that is not held: the next start takes it.
    const next = startServerProcess({ DATA_DIR: dataDir });
    try {
      expect(await next.waitFor("listening"), next.output()).toBe(true);
      // The sign-up made before the crash is there.
      const again = await (await signUp(next.port, "first@example.com")).json();
      expect(again.data.signUpEmailPassword.__typename).toBe("EmailAlreadyExistsError");
      next.kill("SIGTERM");
      expect(await next.exited).toBe(0);
    } finally {
      next.kill();
    }
  }, 300_000);
});

describe.runIf(POSTGRES)("replicas starting together on one PostgreSQL", () => {
  it("all become healthy, on a fresh database and on a migrated one, trial after trial", async () => {
    const { url, drop } = await createPostgresDatabase();
    try {
      // Two trials on a fresh database, then one on the migrated one.
      for (let trial = 0; trial < 3; trial++) {
        const replicas = Array.from({ length: 3 }, () => startServerProcess({ DATABASE_URL: url, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY }));
        try {
          const listening = await Promise.all(replicas.map((replica) => replica.waitFor("listening")));
          expect(listening, replicas.map((replica) => replica.output()).join("\n---\n")).toEqual([true, true, true]);
          for (const replica of replicas) expect((await fetch(`http://127.0.0.1:${replica.port}/healthz`)).status).toBe(200);
        } finally {
          for (const replica of replicas) replica.kill();
          await Promise.all(replicas.map((replica) => replica.exited));
        }
        if (trial === 0) {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          await client.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
          await client.end();
        }
      }
    } finally {
      await drop();
    }
  }, 600_000);

  it("push securityEvents from one process to a subscriber on another, with polling an hour apart", async () => {
    const { url, drop } = await createPostgresDatabase();
    // Replicas share PUBLIC_URL (the tokens' issuer) and ENCRYPTION_KEY.
    const env = { DATABASE_URL: url, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, PUBLIC_URL: "http://auth.test", SECURITY_EVENTS_POLL_INTERVAL: "1h" };
    const [one, other] = [startServerProcess(env), startServerProcess(env)];
    try {
      expect(await Promise.all([one.waitFor("listening"), other.waitFor("listening")]), one.output() + other.output()).toEqual([true, true]);
      const signUpAnswer = await (await signUp(one.port, "pushed@example.com", "session { accessToken }")).json();
      const accessToken = signUpAnswer.data.signUpEmailPassword.session.accessToken;
      const controller = new AbortController();
      const stream = await fetch(`http://127.0.0.1:${other.port}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${accessToken}` },
        body: JSON.stringify({ query: "subscription { securityEvents { type } }" }),
        signal: controller.signal,
      });
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
      // A ping opens the stream once the subscription is set up; then sign in on the other process.
      await reader.read();
      await new Promise((r) => setTimeout(r, 500));
      await fetch(`http://127.0.0.1:${one.port}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: `mutation { signInEmailPassword(email: "pushed@example.com", password: "correct horse battery") { __typename } }` }),
      });
      let received = "";
      const deadline = Date.now() + 10_000;
      while (!received.includes("user.signed_in") && Date.now() < deadline) {
        const next = await Promise.race([reader.read(), new Promise<{ value?: string }>((r) => setTimeout(() => r({}), 1000))]);
        received += next.value ?? "";
      }
      expect(received, received).toContain("user.signed_in");
      controller.abort();
    } finally {
      one.kill();
      other.kill();
      await Promise.all([one.exited, other.exited]);
      await drop();
    }
  }, 300_000);
});
