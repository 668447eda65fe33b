import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GeneralError } from "../src/results.js";
import { DATABASES, PASSWORD, SIGN_IN, SIGN_UP, emailedToken, signUp, startApp, type TestApp } from "./helpers.js";

describe.each(DATABASES)("overrides (%s)", (kind) => {
  let app: TestApp;
  const seen: string[] = [];
  beforeAll(async () => {
    app = await startApp(kind, {
      recipes: {
        emailpassword: {
          formFields: [{ id: "company", validate: (value) => (value.length < 2 ? "is too short" : undefined) }],
          override: {
            functions: (original) => ({
              ...original,
              // A real override: refuse a domain with a message for the end user.
              async signUp(input) {
                if (input.email.toLowerCase().endsWith("@blocked.test")) throw new GeneralError("Sign-ups from blocked.test are closed");
                return original.signUp(input);
              },
            }),
            apis: (original) => ({
              ...original,
              async signInEmailPassword(input, ctx) {
                seen.push(input.email);
                return original.signInEmailPassword!(input, ctx);
              },
              // Disabled: the field leaves the schema.
              changeEmail: undefined,
              emailExists: false,
            }),
          },
        },
        session: { override: { apis: (original) => ({ ...original, verifyToken: undefined }) } },
      },
    });
  });
  afterAll(() => app?.close());

  it("answers GeneralError when a function override throws it", async () => {
    const { data } = await app.gql(SIGN_UP, { email: "someone@Blocked.test", password: PASSWORD, formFields: [{ id: "company", value: "Acme" }] });
    expect(data.signUpEmailPassword).toEqual({ __typename: "GeneralError", status: "GENERAL_ERROR", message: "Sign-ups from blocked.test are closed" });
    expect(await app.auth.deps.prisma.user.count()).toBe(0);
  });

  it("runs the original behind the override otherwise, with configured form fields", async () => {
    const missing = await app.gql(SIGN_UP, { email: "ok@example.com", password: PASSWORD });
    expect(missing.data.signUpEmailPassword.fieldErrors).toEqual([{ id: "company", error: "is required" }]);
    const short = await app.gql(SIGN_UP, { email: "ok@example.com", password: PASSWORD, formFields: [{ id: "company", value: "A" }] });
    expect(short.data.signUpEmailPassword.fieldErrors).toEqual([{ id: "company", error: "is too short" }]);
    const { data } = await app.gql(SIGN_UP, { email: "ok@example.com", password: PASSWORD, formFields: [{ id: "company", value: "Acme" }] });
    expect(data.signUpEmailPassword.__typename).toBe("SignUpEmailPasswordOk");
  });

  it("calls an API override in place of the original", async () => {
    const { data } = await app.gql(SIGN_IN, { email: "ok@example.com", password: PASSWORD });
    expect(data.signInEmailPassword.__typename).toBe("SignInEmailPasswordOk");
    expect(seen).toContain("ok@example.com");
  });

  it("removes disabled APIs from the schema", async () => {
    const { data } = await app.gql(`{ __schema { queryType { fields { name } } mutationType { fields { name } } } }`);
    const names = [...data.__schema.queryType.fields, ...data.__schema.mutationType.fields].map((field: { name: string }) => field.name);
    expect(names).toContain("signInEmailPassword");
    expect(names).not.toContain("changeEmail");
    expect(names).not.toContain("emailExists");
    expect(names).not.toContain("verifyToken");
    expect(app.auth.schema.getType("ChangeEmailResult")).toBeUndefined();
  });
});

describe.each(DATABASES)("overrides reached from inside their recipe (%s)", (kind) => {
  let app: TestApp;
  const updates: Array<{ userId: string; email?: string; password?: string; emailVerified?: boolean }> = [];
  beforeAll(async () => {
    app = await startApp(kind, {
      recipes: {
        emailpassword: {
          override: {
            functions: (original) => ({
              ...original,
              async updateEmailOrPassword(input) {
                updates.push(input);
                return original.updateEmailOrPassword(input);
              },
            }),
          },
        },
      },
    });
  });
  afterAll(() => app?.close());

  it("verifyEmail and resetPassword go through the overridden updateEmailOrPassword", async () => {
    const { user } = await signUp(app, "inside@example.com");
    const verified = await app.gql(`mutation($t: String!) { verifyEmail(token: $t) { __typename } }`, { t: await emailedToken(app, "inside@example.com") });
    expect(verified.data.verifyEmail.__typename).toBe("VerifyEmailOk");
    expect(updates).toContainEqual(expect.objectContaining({ userId: user.id, emailVerified: true }));

    await app.gql(`mutation { sendPasswordResetEmail(email: "inside@example.com") { __typename } }`);
    const reset = await app.gql(`mutation($t: String!) { resetPassword(token: $t, newPassword: "a brand new passphrase") { __typename } }`, {
      t: await emailedToken(app, "inside@example.com"),
    });
    expect(reset.data.resetPassword.__typename).toBe("ResetPasswordOk");
    expect(updates).toContainEqual(expect.objectContaining({ userId: user.id, password: "a brand new passphrase" }));
  });
});
