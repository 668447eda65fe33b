/**
 * How a session was proven (API.md "Accounts: assurance"): the authentication
 * methods (RFC 8176 `amr` values) each sign-in method stands for, and the kind
 * of session. A session is elevated while its last proof is recent and it is
 * interactive: a personal access token's session never is, however new, since
 * the token is a long-lived bearer secret (GitHub's sudo mode, GitLab).
 */
export type SessionKind = "interactive" | "pat" | "anonymous";

/** RFC 8176 §2 values; "fed" (a federated identity provider) and "pat" are ours, as §1 allows. */
const METHOD_AMR: Record<string, string[]> = {
  emailpassword: ["pwd"],
  passwordless: ["otp"],
  passwordlessSms: ["sms", "otp"],
  emailVerify: ["otp"],
  passwordReset: ["otp"],
  webauthn: ["hwk"],
  webauthnElevate: ["hwk"],
  thirdparty: ["fed"],
  anonymous: [],
  personalAccessToken: ["pat"],
  totp: ["otp"],
  recoveryCode: ["otp"],
  password: ["pwd"],
  emailCode: ["otp"],
  smsCode: ["sms", "otp"],
};

/** The amr of a sign-in by `method`; `secondFactor` marks a second proof (RFC 8176 "mfa"). */
export function amrOf(method: string, { secondFactor = false, userVerified = false } = {}): string[] {
  const values = [...(METHOD_AMR[method] ?? [])];
  // A passkey that verified its user (PIN, biometrics) is two factors in one.
  if (userVerified) values.push("user");
  if (secondFactor || userVerified) values.push("mfa");
  return [...new Set(values)];
}

export function kindOf(method: string): SessionKind {
  if (method === "personalAccessToken") return "pat";
  if (method === "anonymous") return "anonymous";
  return "interactive";
}

/** When the session stops being elevated: null when it cannot be (not interactive). */
export function elevatedUntil(session: { kind: string; authenticatedAt: Date }, windowSeconds: number): Date | null {
  return session.kind === "interactive" ? new Date(session.authenticatedAt.getTime() + windowSeconds * 1000) : null;
}
