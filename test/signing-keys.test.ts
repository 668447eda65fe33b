import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, SIGN_IN, bearer, signUp, startApp, type TestApp } from "./helpers.js";

const kidOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()).kid;

describe.each(DATABASES)("signing keys after an ENCRYPTION_KEY change (%s)", (kind) => {
  let before: TestApp;
  let after: TestApp;
  beforeAll(async () => {
    before = await startApp(kind);
    after = await startApp(kind, { database: before.auth.deps.db, clock: before.clock, env: { ENCRYPTION_KEY: "2".repeat(64) } });
  });
  afterAll(async () => {
    await after?.close();
    await before?.close();
  });

  it("signs with a new key and still accepts tokens of the old one", async () => {
    const { session } = await signUp(before, "rekeyed@example.com");
    const { data, errors } = await after.gql(SIGN_IN, { email: "rekeyed@example.com", password: PASSWORD });
    expect(errors).toBeUndefined();
    expect(data.signInEmailPassword.__typename).toBe("SignInEmailPasswordOk");
    expect(kidOf(data.signInEmailPassword.session.accessToken)).not.toBe(kidOf(session.accessToken));
    expect((await after.gql(`{ me { email } }`, {}, bearer(session.accessToken))).data.me.email).toBe("rekeyed@example.com");
    const { keys } = await (await after.fetch("/.well-known/jwks.json")).json();
    expect(keys).toHaveLength(2);
  });
});
