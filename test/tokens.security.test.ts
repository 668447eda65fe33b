import { SignJWT, base64url, exportSPKI, importJWK, type JWK } from "jose";
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, bearer, signUp, startApp, type TestApp } from "./helpers.js";

const ME = `{ me { id } }`;
const VERIFY = `query($token: String) { verifyToken(token: $token) { __typename } }`;

function decode(token: string) {
  const [header, payload, signature] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(header!, "base64url").toString()),
    payload: JSON.parse(Buffer.from(payload!, "base64url").toString()),
    signature: signature!,
  };
}
const encode = (value: unknown) => base64url.encode(JSON.stringify(value));

describe.each(DATABASES)("access-token forgery (%s)", (kind) => {
  let app: TestApp;
  let valid: string;
  beforeAll(async () => {
    app = await startApp(kind);
    valid = (await signUp(app, "target@example.com")).session.accessToken;
  });
  afterAll(() => app?.close());

  async function expectRefused(token: string) {
    expect((await app.gql(ME, {}, bearer(token))).data.me).toBeNull();
    expect((await app.gql(VERIFY, { token })).data.verifyToken.__typename).toBe("UnauthorisedError");
  }

  it("accepts the genuine token (control)", async () => {
    expect((await app.gql(ME, {}, bearer(valid))).data.me).not.toBeNull();
  });

  it('refuses alg "none"', async () => {
    const { header, payload } = decode(valid);
    await expectRefused(`${encode({ ...header, alg: "none" })}.${encode(payload)}.`);
  });

  it("refuses HS256 signed with the public key (algorithm confusion)", async () => {
    const { header, payload } = decode(valid);
    const jwks = await (await app.fetch("/.well-known/jwks.json")).json();
    const jwk = jwks.keys.find((key: JWK) => key.kid === header.kid);
    const pem = await exportSPKI((await importJWK(jwk, "ES256", { extractable: true })) as CryptoKey);
    const body = `${encode({ ...header, alg: "HS256" })}.${encode(payload)}`;
    for (const secret of [pem, JSON.stringify(jwk)]) {
      await expectRefused(`${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`);
    }
  });

  it("refuses a tampered payload", async () => {
    const { header, payload, signature } = decode(valid);
    await expectRefused(`${encode(header)}.${encode({ ...payload, roles: ["admin"] })}.${signature}`);
    await expectRefused(`${encode(header)}.${encode({ ...payload, sub: "00000000-0000-0000-0000-000000000000" })}.${signature}`);
  });

  it("refuses a wrong typ, a wrong audience, a wrong issuer, and a foreign key, signed properly", async () => {
    const { payload } = decode(valid);
    const { kid, key } = await app.auth.deps.keys.signingKey();
    const sign = (claims: Record<string, unknown>, typ = "at+jwt") => new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid, typ }).sign(key);
    expect((await app.gql(ME, {}, bearer(await sign(payload)))).data.me).not.toBeNull(); // control: re-signed as is
    await expectRefused(await sign(payload, "JWT"));
    await expectRefused(await sign({ ...payload, aud: "http://other.test" }));
    await expectRefused(await sign({ ...payload, iss: "http://other.test" }));
    const { privateKey } = await (await import("jose")).generateKeyPair("ES256");
    await expectRefused(await new SignJWT(payload).setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" }).sign(privateKey));
  });

  it("refuses an expired token", async () => {
    const { session } = await signUp(app, "expiring@example.com");
    app.clock.advance(901);
    await expectRefused(session.accessToken);
  });

  it("refuses tokens with an unknown kid or no kid, and junk", async () => {
    const { header, payload, signature } = decode(valid);
    await expectRefused(`${encode({ ...header, kid: "unknown" })}.${encode(payload)}.${signature}`);
    await expectRefused(`${encode({ alg: header.alg, typ: header.typ })}.${encode(payload)}.${signature}`);
    for (const junk of ["", "a", "a.b", "a.b.c", "x".repeat(10_000), "ü.ü.ü"]) await expectRefused(junk);
  });

  it("refuses a token of a revoked session", async () => {
    const { session } = await signUp(app, "revoked-token@example.com");
    await app.gql(`mutation { signOut { __typename } }`, {}, bearer(session.accessToken));
    await expectRefused(session.accessToken);
  });
});
