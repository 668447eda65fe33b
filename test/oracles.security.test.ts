/**
 * No oracle (API.md: nothing reveals whether an account exists unless its purpose
 * is to say so): the passkey sign-in options for an email without passkeys look
 * like a real user's, not like a fixed decoy.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp } from "./helpers.js";

const OPTIONS = `mutation($email: String) { webauthnSignInOptions(email: $email) { ... on WebauthnOptionsOk { options } } }`;

describe("passkey sign-in options for unknown emails", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp("pglite");
  });
  afterAll(() => app?.close());

  const allowed = async (email: string) =>
    (await app.gql(OPTIONS, { email })).data.webauthnSignInOptions.options.allowCredentials as Array<{ id: string; transports: string[] }>;

  it("offer stand-in credentials as varied as real ones, and the same for the same email", async () => {
    const lists = await Promise.all(Array.from({ length: 24 }, (_, i) => allowed(`unknown${i}@example.com`)));
    const all = lists.flat();
    // base64url ids of several lengths (not one fixed shape), several transport sets, one or more per user.
    expect(all.every((credential) => /^[A-Za-z0-9_-]+$/.test(credential.id) && !/^[0-9a-f]{64}$/.test(credential.id))).toBe(true);
    expect(new Set(all.map((credential) => credential.id.length)).size).toBeGreaterThan(2);
    expect(new Set(all.map((credential) => credential.transports.join(","))).size).toBeGreaterThan(2);
    expect(new Set(lists.map((list) => list.length)).size).toBeGreaterThan(1);
    // Asking again gives the same answer, as it would for a real user.
    expect(await allowed("unknown3@example.com")).toEqual(lists[3]);
  });
});
