import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, SIGN_IN, signUp, startApp, type TestApp } from "./helpers.js";

describe.each(DATABASES)("failed sign-in limit (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app?.close());

  const attempt = async (email: string, password = "wrong password!") => (await app.gql(SIGN_IN, { email, password })).data.signInEmailPassword;

  it("locks for 30 s after 10 failures, doubling per further failure up to an hour", async () => {
    await signUp(app, "locked@example.com");
    for (let i = 0; i < 10; i++) expect((await attempt("locked@example.com")).__typename).toBe("WrongCredentialsError");
    const locked = await attempt("locked@example.com", PASSWORD);
    expect(locked).toMatchObject({ __typename: "LimitReachedError", status: "LIMIT_REACHED_ERROR", retryAfterMs: 30_000 });
    app.clock.advance(10);
    expect((await attempt("locked@example.com")).retryAfterMs).toBe(20_000);
    app.clock.advance(20);
    expect((await attempt("locked@example.com")).__typename).toBe("WrongCredentialsError"); // 11th failure
    expect((await attempt("locked@example.com")).retryAfterMs).toBe(60_000);
    for (let wait = 60; wait < 3600; wait *= 2) {
      app.clock.advance(wait);
      await attempt("locked@example.com");
    }
    app.clock.advance(3600);
    await attempt("locked@example.com");
    expect((await attempt("locked@example.com")).retryAfterMs).toBe(3_600_000);
  });

  it("forgets the failures after a successful sign-in", async () => {
    await signUp(app, "reset-count@example.com");
    for (let i = 0; i < 9; i++) await attempt("reset-count@example.com");
    expect((await attempt("reset-count@example.com", PASSWORD)).__typename).toBe("SignInEmailPasswordOk");
    for (let i = 0; i < 9; i++) expect((await attempt("reset-count@example.com")).__typename).toBe("WrongCredentialsError");
    expect((await attempt("reset-count@example.com", PASSWORD)).__typename).toBe("SignInEmailPasswordOk");
  });

  it("locks unknown emails the same way, so lockouts reveal no accounts", async () => {
    for (let i = 0; i < 10; i++) expect((await attempt("ghost-lock@example.com")).__typename).toBe("WrongCredentialsError");
    expect(await attempt("ghost-lock@example.com")).toMatchObject({ __typename: "LimitReachedError", retryAfterMs: 30_000 });
  });
});

describe.each(DATABASES)("configured limit (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, { env: { SIGNIN_LOCKOUT_THRESHOLD: "3", SIGNIN_LOCKOUT_BASE: "5s", SIGNIN_LOCKOUT_MAX: "1m" } });
  });
  afterAll(() => app?.close());

  it("follows SIGNIN_LOCKOUT_THRESHOLD, _BASE and _MAX", async () => {
    await signUp(app, "conf@example.com");
    for (let i = 0; i < 3; i++) await app.gql(SIGN_IN, { email: "conf@example.com", password: "wrong password!" });
    const { data } = await app.gql(SIGN_IN, { email: "conf@example.com", password: PASSWORD });
    expect(data.signInEmailPassword).toMatchObject({ __typename: "LimitReachedError", retryAfterMs: 5000 });
  });
});
