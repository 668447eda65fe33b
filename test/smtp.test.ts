import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { simpleParser, type ParsedMail } from "mailparser";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSmtpMailer } from "../src/delivery/mailer.js";
import { PASSWORD, SIGN_UP, startApp, type TestApp } from "./helpers.js";

const VERIFY_EMAIL = `mutation($token: String!) { verifyEmail(token: $token) { __typename ... on VerifyEmailOk { user { emailVerified } } } }`;

describe("email over SMTP", () => {
  let server: SMTPServer;
  let app: TestApp;
  const received: ParsedMail[] = [];
  let port = 0;

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      onData(stream, _session, callback) {
        simpleParser(stream).then((mail) => {
          received.push(mail);
          callback();
        }, callback);
      },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.server.address() as AddressInfo).port;
    // The app's own SMTP mailer (nodemailer), as SMTP_URL configures it.
    app = await startApp("pglite", {
      env: { SMTP_URL: `smtp://127.0.0.1:${port}`, EMAIL_FROM: "Auth Test <auth@example.test>" },
      mailer: createSmtpMailer(`smtp://127.0.0.1:${port}`, "Auth Test <auth@example.test>"),
    });
  });
  afterAll(async () => {
    await app?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("delivers the verification email whose link verifies the address", async () => {
    const { data } = await app.gql(SIGN_UP, { email: "mailbox@example.com", password: PASSWORD });
    expect(data.signUpEmailPassword.__typename).toBe("SignUpEmailPasswordOk");
    await app.auth.deps.idle();
    const mail = received.find((message) => message.subject === "Verify your email address");
    expect(mail).toBeDefined();
    expect(mail!.from?.text).toContain("auth@example.test");
    expect((mail!.to as { text: string }).text).toBe("mailbox@example.com");
    const link = /http:\/\/app\.test\/verify-email\?\S+/.exec(mail!.text!)?.[0];
    expect(link).toBeDefined();
    expect(mail!.html).toContain("verify-email?token=");
    const token = new URL(link!).searchParams.get("token")!;
    const verified = await app.gql(VERIFY_EMAIL, { token });
    expect(verified.data.verifyEmail).toEqual({ __typename: "VerifyEmailOk", user: { emailVerified: true } });
  });

  it("delivers a passwordless magic link that signs the user in when followed", async () => {
    const { data } = await app.gql(`mutation { createCode(email: "magic@example.com") { __typename ... on CreateCodeOk { preAuthSessionId } } }`);
    await app.auth.deps.idle();
    const mail = received.find((message) => (message.to as { text: string }).text === "magic@example.com");
    expect(mail?.subject).toMatch(/^Your sign-in code: \d{6}$/);
    const link = new URL(/http:\/\/app\.test\/verify\S+/.exec(mail!.text!)![0]);
    // What the frontend's /verify page does with the link:
    const consumed = await app.gql(
      `mutation($p: String!, $l: String!) { consumeCode(preAuthSessionId: $p, linkCode: $l) { __typename ... on ConsumeCodeOk { user { email emailVerified } } } }`,
      { p: link.searchParams.get("preAuthSessionId"), l: link.hash.slice(1) },
    );
    expect(link.searchParams.get("preAuthSessionId")).toBe(data.createCode.preAuthSessionId);
    expect(consumed.data.consumeCode).toEqual({ __typename: "ConsumeCodeOk", user: { email: "magic@example.com", emailVerified: true } });
  });

  it("uses SMTP when SMTP_URL is set and no mailer is passed", async () => {
    const smtpOnly = await startApp("pglite", { env: { SMTP_URL: `smtp://127.0.0.1:${port}` }, mailer: undefined });
    try {
      await smtpOnly.gql(`mutation { sendPasswordResetEmail(email: "nobody@example.com") { __typename } }`);
      await smtpOnly.gql(SIGN_UP, { email: "smtp-only@example.com", password: PASSWORD });
      await smtpOnly.auth.deps.idle();
      expect(received.some((mail) => (mail.to as { text: string }).text === "smtp-only@example.com")).toBe(true);
      expect(smtpOnly.outbox.messages).toHaveLength(0);
    } finally {
      await smtpOnly.close();
    }
  });

  it("writes to each user in their language, with a folder's templates winning and every value escaped in HTML", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "auth-templates-"));
    await mkdir(path.join(dir, "de"));
    await writeFile(path.join(dir, "de", "passwordReset.subject"), "Neues Passwort für {{email}}\n");
    await writeFile(
      path.join(dir, "de", "passwordReset.html"),
      '<p>Hallo {{displayName}}</p><p><a href="{{link}}">Jetzt ändern</a> ({{expiresInMinutes}} Min.)</p>',
    );
    const localised = await startApp("pglite", {
      env: { EMAIL_TEMPLATES_DIR: dir, EMAIL_DEFAULT_LOCALE: "en" },
      mailer: createSmtpMailer(`smtp://127.0.0.1:${port}`, "Auth Test <auth@example.test>"),
    });
    const mailTo = async (to: string) => {
      await localised.auth.deps.idle();
      for (let i = 0; i < 50 && !received.some((mail) => (mail.to as { text: string }).text === to); i++) await new Promise((r) => setTimeout(r, 20));
      return received.filter((mail) => (mail.to as { text: string }).text === to).at(-1)!;
    };
    const signUpWith = (email: string, options: object) => localised.gql(SIGN_UP, { email, password: PASSWORD, options });
    try {
      // The sign-up's own locale picks the verification email's language; a region falls back to its language.
      await signUpWith("francoise@example.com", { locale: "fr" });
      expect((await mailTo("francoise@example.com")).subject).toBe("Vérifiez votre adresse e-mail");
      await signUpWith("joao@example.com", { locale: "pt-BR" });
      expect((await mailTo("joao@example.com")).subject).toBe("Confirme seu endereço de e-mail");
      await signUpWith("nobody-knows@example.com", { locale: "tlh" });
      expect((await mailTo("nobody-knows@example.com")).subject).toBe("Verify your email address");

      // Codes and links follow the account's language too.
      await signUpWith("elena@example.com", { locale: "es" });
      await localised.gql(`mutation { createCode(email: "elena@example.com") { __typename } }`);
      expect((await mailTo("elena@example.com")).subject).toMatch(/^Tu código de acceso: \d{6}$/);

      // German, from the folder: the subject and HTML replaced, the text part still the built-in German one.
      const { data } = await signUpWith("greta@example.com", { locale: "de", displayName: "<b>Greta & Co</b>" });
      expect(data.signUpEmailPassword.__typename).toBe("SignUpEmailPasswordOk");
      const verification = await mailTo("greta@example.com");
      expect(verification.subject).toBe("Bestätigen Sie Ihre E-Mail-Adresse");
      const token = new URL(/http:\/\/app\.test\/verify-email\?\S+/.exec(verification.text!)![0]).searchParams.get("token");
      await localised.gql(VERIFY_EMAIL, { token });
      await localised.gql(`mutation { sendPasswordResetEmail(email: "greta@example.com") { __typename } }`);
      const reset = await mailTo("greta@example.com");
      expect(reset.subject).toBe("Neues Passwort für greta@example.com");
      expect(reset.html).toContain("<p>Hallo &lt;b&gt;Greta &amp; Co&lt;/b&gt;</p>");
      expect(reset.html).not.toContain("<b>Greta");
      expect(reset.text).toContain("Hallo <b>Greta & Co</b>,"); // plain text is not HTML
      expect(reset.text).toContain("Öffnen Sie diesen Link, um ein neues Passwort zu wählen:");
    } finally {
      await localised.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
