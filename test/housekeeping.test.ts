import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, SIGN_IN, bearer, signUp, startApp, type TestApp } from "./helpers.js";

describe.each(DATABASES)("housekeeping (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app?.close());

  it("deletes expired tickets, long-ended sessions and idle counters, and keeps what is live", async () => {
    const prisma = app.auth.deps.prisma;
    const old = await signUp(app, "old-session@example.com"); // a verification ticket (24 h) and a session
    await app.gql(`mutation { signOut { __typename } }`, {}, bearer(old.session.accessToken));
    await app.gql(SIGN_IN, { email: "someone@example.com", password: "wrong password!" }); // a counter with one failure
    app.clock.advance(8 * 86400);
    const live = await signUp(app, "live-session@example.com");
    const deleted = await app.auth.housekeeping();
    expect(deleted.tickets).toBeGreaterThanOrEqual(1);
    expect(deleted.sessions).toBeGreaterThanOrEqual(1);
    expect(await prisma.session.count({ where: { id: old.session.refreshTokenId } })).toBe(0);
    expect(await prisma.session.count({ where: { id: live.session.refreshTokenId } })).toBe(1);
    expect(await prisma.ticket.count({ where: { user: { email: "live-session@example.com" } } })).toBe(1);
    expect(await prisma.attemptCounter.count({ where: { key: "account:public:someone@example.com" } })).toBe(0);
    expect((await app.gql(`{ me { email } }`, {}, bearer(live.session.accessToken))).data.me.email).toBe("live-session@example.com");
    // A counter in use is kept.
    for (let i = 0; i < 10; i++) await app.gql(SIGN_IN, { email: "locked@example.com", password: "wrong password!" });
    app.clock.advance(2 * 86400);
    await app.gql(SIGN_IN, { email: "locked@example.com", password: "wrong password!" }); // 11th: locks for 60 s
    await app.auth.housekeeping();
    expect(await prisma.attemptCounter.count({ where: { key: "account:public:locked@example.com" } })).toBe(1);
  });
});
