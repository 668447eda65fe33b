import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, SIGN_IN, bearer, signUp, startApp, type TestApp } from "./helpers.js";

const REFRESH = `mutation($t: String!) { refreshSession(refreshToken: $t) { __typename ... on RefreshSessionOk { session { accessToken user { email emailVerified } } } } }`;

describe.each(DATABASES)("emailed links through GET /verify (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, { env: { EMAIL_LINK_TARGET: "server", ALLOWED_REDIRECT_URLS: "https://app.example.com" } });
  });
  afterAll(() => app?.close());

  /** Follows the newest link mailed to `to`; answers the redirect's URL. */
  async function follow(to: string): Promise<URL> {
    await app.auth.deps.idle();
    const link = new URL(/http:\/\/auth\.test\/verify\S+/.exec(app.outbox.last(to)!.text)![0]);
    const response = await app.fetch(`${link.pathname}${link.search}`, { redirect: "manual" });
    expect(response.status).toBe(302);
    return new URL(response.headers.get("location")!);
  }

  it("verifies the email and signs the user in (emailVerify)", async () => {
    await signUp(app, "link-verify@example.com");
    const landed = await follow("link-verify@example.com");
    expect(landed.origin).toBe("http://app.test");
    expect(landed.searchParams.get("type")).toBe("emailVerify");
    const { data } = await app.gql(REFRESH, { t: landed.searchParams.get("refreshToken") });
    expect(data.refreshSession.session.user).toEqual({ email: "link-verify@example.com", emailVerified: true });
    const again = await follow("link-verify@example.com");
    expect(again.searchParams.get("error")).toBe("EMAIL_VERIFICATION_INVALID_TOKEN_ERROR");
  });

  it("signs the user in from a reset link, ending the old sessions, ready for changePassword", async () => {
    const { session } = await signUp(app, "link-reset@example.com");
    await app.gql(`mutation { sendPasswordResetEmail(email: "link-reset@example.com", redirectTo: "https://app.example.com/new-password") { __typename } }`);
    const landed = await follow("link-reset@example.com");
    expect(`${landed.origin}${landed.pathname}`).toBe("https://app.example.com/new-password");
    expect(landed.searchParams.get("type")).toBe("passwordReset");
    expect((await app.gql(`{ me { id } }`, {}, bearer(session.accessToken))).data.me).toBeNull();
    const fresh = (await app.gql(REFRESH, { t: landed.searchParams.get("refreshToken") })).data.refreshSession.session;
    const changed = await app.gql(`mutation { changePassword(newPassword: "a brand new passphrase") { __typename } }`, {}, bearer(fresh.accessToken));
    expect(changed.data.changePassword.__typename).toBe("ChangePasswordOk");
    expect((await app.gql(SIGN_IN, { email: "link-reset@example.com", password: "a brand new passphrase" })).data.signInEmailPassword.__typename).toBe(
      "SignInEmailPasswordOk",
    );
    expect((await follow("link-reset@example.com")).searchParams.get("error")).toBe("RESET_PASSWORD_INVALID_TOKEN_ERROR");
  });

  it("confirms an email change", async () => {
    const { session } = await signUp(app, "link-old@example.com");
    await app.gql(`mutation { changeEmail(newEmail: "link-new@example.com") { __typename } }`, {}, bearer(session.accessToken));
    const landed = await follow("link-new@example.com");
    expect(landed.searchParams.get("type")).toBe("emailConfirmChange");
    expect(landed.searchParams.get("error")).toBeNull();
    expect((await app.gql(SIGN_IN, { email: "link-new@example.com", password: PASSWORD })).data.signInEmailPassword.__typename).toBe("SignInEmailPasswordOk");
  });

  it("refuses a redirectTo outside the allow-list with 400 and no redirect", async () => {
    await signUp(app, "link-evil@example.com");
    await app.auth.deps.idle();
    const link = new URL(/http:\/\/auth\.test\/verify\S+/.exec(app.outbox.last("link-evil@example.com")!.text)![0]);
    link.searchParams.set("redirectTo", "https://app.example.com.evil.test/");
    const response = await app.fetch(`${link.pathname}${link.search}`, { redirect: "manual" });
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
  });
});
