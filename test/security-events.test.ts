import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { openDatabase } from "../src/db/database.js";
import { DATABASES, PASSWORD, SIGN_IN, bearer, createPostgresDatabase, signUp, startApp, type TestApp } from "./helpers.js";

const SUBSCRIBE = `subscription { securityEvents { id type data createdAt } }`;

/** Opens the subscription over server-sent events; `next()` answers the next event's payload, or null at the end. */
async function subscribe(app: TestApp, headers: Record<string, string>) {
  const controller = new AbortController();
  const response = await app.fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
    body: JSON.stringify({ query: SUBSCRIBE }),
    signal: controller.signal,
  });
  expect(response.headers.get("content-type")).toContain("text/event-stream");
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    async next(): Promise<any | null> {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (\w+)/m.exec(message)?.[1];
          const data = /^data: (.*)$/m.exec(message)?.[1];
          if (event === "complete") return null;
          if (event === "next" && data) return JSON.parse(data);
          continue; // keep-alive pings
        }
        const { value, done } = await reader.read();
        if (done) return null;
        buffer += value;
      }
    },
    close: () => controller.abort(),
  };
}

describe.each(DATABASES)("securityEvents subscription (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    // An hour: the events below arrive pushed, not polled.
    app = await startApp(kind, { env: { SECURITY_EVENTS_POLL_INTERVAL: "1h" } });
  });
  afterAll(() => app?.close());

  it("tells a signed-in user about a sign-in elsewhere, then the end of their session", async () => {
    const { session } = await signUp(app, "watcher@example.com");
    const stream = await subscribe(app, bearer(session.accessToken));
    const other = (await app.gql(SIGN_IN, { email: "watcher@example.com", password: PASSWORD })).data.signInEmailPassword;
    const signedIn = await stream.next();
    expect(signedIn.data.securityEvents).toMatchObject({ type: "user.signed_in", data: { method: "emailpassword", sessionId: other.session.refreshTokenId } });
    // From the other device: sign out everywhere. The watcher hears it, and the stream ends with its session.
    await app.gql(`mutation { signOut(all: true) { __typename } }`, {}, bearer(other.session.accessToken));
    const signedOut = await stream.next();
    expect(signedOut.data.securityEvents.type).toBe("user.signed_out");
    expect(await stream.next()).toBeNull();
  });

  it("needs a session", async () => {
    const stream = await subscribe(app, {});
    const first = await stream.next();
    expect(first.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    stream.close();
  });
});

/** The next event, or a failure after `ms` (so a test that would hang says so). */
const within = <T>(promise: Promise<T>, ms = 10_000) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`nothing within ${ms} ms`)), ms))]);

describe.runIf(process.env.TEST_DATABASE_URL)("securityEvents across server processes (postgres)", () => {
  it("reaches a subscriber on another process at once, in commit order, skipping none that commit out of id order", async () => {
    const { url, drop } = await createPostgresDatabase();
    // Two servers as two processes have them: each its own pool and its own listening connection.
    const one = await startApp("postgres", { database: await openDatabase({ url }), env: { SECURITY_EVENTS_POLL_INTERVAL: "1h" } });
    const other = await startApp("postgres", { database: await openDatabase({ url }), env: { SECURITY_EVENTS_POLL_INTERVAL: "1h" } });
    try {
      const { session, user } = await signUp(one, "two-processes@example.com");
      const stream = await subscribe(other, bearer(session.accessToken));
      await within(one.gql(SIGN_IN, { email: "two-processes@example.com", password: PASSWORD }));
      expect((await within(stream.next())).data.securityEvents.type).toBe("user.signed_in");

      // Ids are taken at insert and become visible at commit: the event that takes the
      // lower id commits last. A reader that kept "the highest id seen" would skip it.
      const early = new pg.Client({ connectionString: url });
      const late = new pg.Client({ connectionString: url });
      await early.connect();
      await late.connect();
      const insert = (client: pg.Client, type: string) =>
        client.query(`INSERT INTO "AuditEvent" ("tenantId", "userId", type, ip, "userAgent", data) VALUES ('public', $1, $2, '', '', '{}') RETURNING id`, [
          user.id,
          type,
        ]);
      await early.query("BEGIN");
      const lowId = (await insert(early, "test.lower_id_commits_last")).rows[0].id;
      const highId = (await insert(late, "test.higher_id_commits_first")).rows[0].id;
      expect(BigInt(lowId)).toBeLessThan(BigInt(highId));
      await early.query("COMMIT");
      await early.end();
      await late.end();
      const first = await within(stream.next());
      const second = await within(stream.next());
      expect([first.data.securityEvents.type, second.data.securityEvents.type]).toEqual(["test.higher_id_commits_first", "test.lower_id_commits_last"]);
      stream.close();
    } finally {
      await one.auth.close();
      await other.auth.close();
      await drop();
    }
  });
});

describe("draining", () => {
  it("turns /readyz to 503 and ends open subscriptions cleanly, while /healthz stays up", async () => {
    const app = await startApp("pglite", { env: { SECURITY_EVENTS_POLL_INTERVAL: "1h" } });
    try {
      expect(await (await app.fetch("/readyz")).json()).toEqual({ status: "ready" });
      const { session } = await signUp(app, "draining@example.com");
      const stream = await subscribe(app, bearer(session.accessToken));
      app.auth.drain();
      expect(await within(stream.next())).toBeNull(); // a `complete` event, not a cut connection
      const ready = await app.fetch("/readyz");
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: "draining" });
      expect((await app.fetch("/healthz")).status).toBe(200);
      // Requests still work while in-flight work finishes.
      expect((await app.gql(SIGN_IN, { email: "draining@example.com", password: PASSWORD })).data.signInEmailPassword.__typename).toBe("SignInEmailPasswordOk");
    } finally {
      await app.close();
    }
  });
});
