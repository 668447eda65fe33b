import { describe, expect, it } from "vitest";
import type { UserRow } from "../accounts/users.js";
import { Prisma } from "../generated/prisma/client.js";
import { createMfa, type Factor } from "./registry.js";

const OPENED = new Date("2026-01-01T00:00:00Z");
const LATER = new Date("2026-01-02T00:00:00Z");
const user = { id: "u" } as UserRow;

/** A factor the user holds since `since` (null: not at all). */
function held(id: string, since: Date | null, traits: Partial<Factor> = {}): Factor {
  return {
    id,
    secondFactor: true,
    stepUp: true,
    ...traits,
    isSetUp: async (_, before) => since !== null && (!before || since <= before),
    reset: async () => (since ? 1 : 0),
  };
}

function registry(factors: Factor[]) {
  const mfa = createMfa();
  mfa.register(factors);
  return mfa;
}

describe("the factor registry", () => {
  const totp = (since: Date | null) => held("totp", since, { turnsMfaOn: true, strong: true, enrolable: true });
  const key = (since: Date | null) => held("webauthn", since, { strong: true, sameChannelAs: (first) => first.method === "webauthn" });
  const email = (since: Date | null) => held("emailCode", since, { address: true });
  const password = held("password", OPENED, { secondFactor: false });
  const byPassword = { method: "emailpassword", amr: ["pwd"] };

  it("lists factors strongest first, whatever order the recipes register them in", () => {
    expect(registry([email(OPENED), key(OPENED), password, totp(OPENED)]).secondFactorIds(null)).toEqual(["totp", "webauthn", "emailCode"]);
  });

  it("offers codes to the account's addresses only to users without an enrolled authenticator", async () => {
    expect(await registry([totp(null), key(OPENED), email(OPENED)]).secondFactors(user, byPassword, null)).toEqual(["webauthn", "emailCode"]);
    expect(await registry([totp(OPENED), key(OPENED), email(OPENED)]).secondFactors(user, byPassword, null)).toEqual(["totp", "webauthn"]);
  });

  it("never seconds a first factor with the same channel, and keeps to the tenant's allowed factors", async () => {
    const mfa = registry([totp(OPENED), key(OPENED)]);
    expect(await mfa.secondFactors(user, { method: "webauthn", amr: ["hwk"] }, null)).toEqual(["totp"]);
    expect(await mfa.secondFactors(user, byPassword, ["webauthn"])).toEqual(["webauthn"]);
  });

  it("steps up only with what the account had when the session opened, and only strong factors once MFA is on", async () => {
    expect(await registry([totp(null), email(LATER), password]).stepUpFactors(user, OPENED)).toEqual(["password"]);
    expect(await registry([totp(null), email(OPENED), password]).stepUpFactors(user, OPENED)).toEqual(["password", "emailCode"]);
    // A device enrolled after the session opened turns MFA on (no more password) without becoming a proof for that session.
    expect(await registry([totp(LATER), email(OPENED), password]).stepUpFactors(user, OPENED)).toEqual([]);
    expect(await registry([totp(OPENED), key(OPENED), email(OPENED), password]).stepUpFactors(user, OPENED)).toEqual(["totp", "webauthn"]);
  });

  it("reads the active MFA type with the user row when every factor that turns MFA on has a SQL form", async () => {
    const devices = (userId: Prisma.Sql) => Prisma.sql`EXISTS (SELECT 1 FROM "TotpDevice" d WHERE d."userId" = ${userId})`;
    const mfa = registry([{ ...totp(null), setUpSql: devices }, key(OPENED)]);
    const preload = mfa.preload()!;
    expect(preload.column.sql).toBe(`CASE WHEN EXISTS (SELECT 1 FROM "TotpDevice" d WHERE d."userId" = u.id) THEN ?::text END`);
    const read = { id: "read" } as UserRow;
    preload.keep(read, "totp");
    expect(await mfa.activeType(read)).toBe("totp"); // as read with the row, not asked again
    preload.keep(read, null);
    expect(await mfa.activeType(read)).toBeNull();
    expect(await mfa.activeType({ id: "other" } as UserRow)).toBeNull(); // any other row asks the factors
    expect(registry([totp(OPENED), key(OPENED)]).preload()).toBeNull(); // no SQL form: activeType asks
    expect(registry([key(OPENED)]).preload()!.column.sql).toBe("NULL::text");
  });

  it("derives the active MFA type from the enrolled authenticators", async () => {
    expect(await registry([totp(OPENED), key(OPENED)]).activeType(user)).toBe("totp");
    expect(await registry([totp(null), key(OPENED)]).activeType(user)).toBeNull();
  });

  it("refuses two recipes registering one factor", () => {
    expect(() => registry([totp(OPENED), totp(OPENED)])).toThrow(/two recipes/);
  });
});
