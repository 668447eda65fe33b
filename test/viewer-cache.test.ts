import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, bearer, signUp, startApp, type TestApp } from "./helpers.js";

const ME = `{ me { id email } }`;

describe.each(DATABASES)("two server processes on one database (%s)", (kind) => {
  let first: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    first = await startApp(kind);
    second = await startApp(kind, { database: first.auth.deps.db, clock: first.clock });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it("accept each other's tokens and refresh tokens", async () => {
    const { session } = await signUp(first, "shared@example.com");
    expect((await second.gql(ME, {}, bearer(session.accessToken))).data.me.email).toBe("shared@example.com");
    const refreshed = await second.gql(`mutation($t: String!) { refreshSession(refreshToken: $t) { __typename } }`, { t: session.refreshToken });
    expect(refreshed.data.refreshSession.__typename).toBe("RefreshSessionOk");
  });

  it("see a sign-out made by the other process within SESSION_CACHE_TTL on me, and at once on mutations", async () => {
    const { session } = await signUp(first, "cached@example.com");
    expect((await second.gql(ME, {}, bearer(session.accessToken))).data.me).not.toBeNull(); // now cached in the second process
    await first.gql(`mutation { signOut { __typename } }`, {}, bearer(session.accessToken));
    expect((await first.gql(ME, {}, bearer(session.accessToken))).data.me).toBeNull(); // the process that signed out: at once
    const change = await second.gql(`mutation { changePassword(newPassword: "a long new passphrase") { __typename } }`, {}, bearer(session.accessToken));
    expect(change.data.changePassword.__typename).toBe("UnauthorisedError"); // mutations never trust the cache
    expect((await second.gql(ME, {}, bearer(session.accessToken))).data.me).not.toBeNull(); // stale read, bounded:
    first.clock.advance(2.001);
    expect((await second.gql(ME, {}, bearer(session.accessToken))).data.me).toBeNull();
  });
});

describe.each(DATABASES)("SESSION_CACHE_TTL=0 (%s)", (kind) => {
  let first: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    first = await startApp(kind, { env: { SESSION_CACHE_TTL: "0" } });
    second = await startApp(kind, { database: first.auth.deps.db, clock: first.clock, env: { SESSION_CACHE_TTL: "0" } });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it("makes every process see a sign-out at once", async () => {
    const { session } = await signUp(first, "uncached@example.com");
    expect((await second.gql(ME, {}, bearer(session.accessToken))).data.me).not.toBeNull();
    await first.gql(`mutation { signOut { __typename } }`, {}, bearer(session.accessToken));
    expect((await second.gql(ME, {}, bearer(session.accessToken))).data.me).toBeNull();
  });
});
