import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, SIGN_IN, bearer, signUp, startApp, type TestApp } from "./helpers.js";

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
    app = await startApp(kind, { env: { SECURITY_EVENTS_POLL_INTERVAL: "50ms" } });
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
