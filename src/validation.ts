/**
 * Input checks GraphQL's types cannot express. Each returns a FieldError or
 * null; `invalid` gathers them into one INVALID_INPUT_ERROR value.
 */
import { z } from "zod";
import type { Config } from "./config.js";
import type { FieldError } from "./results.js";

// RFC 5321 §4.5.3.1.3: a path (and so an address) is at most 256 octets including brackets.
const MAX_EMAIL_LENGTH = 254;
const emailSchema = z.email();

// Lone UTF-16 surrogates (not Unicode text: they would reach storage as U+FFFD) and NUL
// (PostgreSQL text cannot hold it).
const NOT_TEXT = /[\uD800-\uDFFF]|\u0000/u;

/** Whether a string is well-formed Unicode text PostgreSQL can store. */
export function isText(value: string): boolean {
  return !NOT_TEXT.test(value);
}

/** Same, for every string inside a JSON value. */
export function isTextJson(value: unknown): boolean {
  return !/\\u0000|\\ud[89a-f][0-9a-f]{2}/i.test(JSON.stringify(value) ?? "");
}

export function checkEmail(id: string, email: string): FieldError | null {
  const trimmed = email.trim();
  if (trimmed.length === 0) return { id, error: "is required" };
  if (!isText(trimmed)) return { id, error: "is not a valid email address" };
  if (trimmed.length > MAX_EMAIL_LENGTH) return { id, error: `must be at most ${MAX_EMAIL_LENGTH} characters` };
  if (!emailSchema.safeParse(trimmed).success) return { id, error: "is not a valid email address" };
  return null;
}

/**
 * A redirect must stay on an allow-listed origin and path: same scheme, host and
 * port as an entry of ALLOWED_REDIRECT_URLS (or CLIENT_URL), and under its path.
 */
export function isAllowedRedirect(config: Pick<Config, "clientUrl" | "allowedRedirectUrls">, redirectTo: string): boolean {
  let target: URL;
  try {
    target = new URL(redirectTo);
  } catch {
    return false;
  }
  return [config.clientUrl, ...config.allowedRedirectUrls].some((allowed) => {
    const base = new URL(allowed);
    if (base.origin !== target.origin) return false;
    const basePath = base.pathname.replace(/\/+$/, "");
    return target.pathname === basePath || target.pathname.startsWith(`${basePath}/`) || basePath === "";
  });
}

export function checkRedirect(config: Config, id: string, redirectTo: string | null | undefined): FieldError | null {
  if (redirectTo === null || redirectTo === undefined) return null;
  if (redirectTo.length > 2048 || !isAllowedRedirect(config, redirectTo)) return { id, error: "is not an allowed redirect URL" };
  return null;
}

export function invalid(...errors: Array<FieldError | null | undefined>): { status: "INVALID_INPUT_ERROR"; fieldErrors: FieldError[] } | null {
  const fieldErrors = errors.filter((error): error is FieldError => Boolean(error));
  return fieldErrors.length > 0 ? { status: "INVALID_INPUT_ERROR", fieldErrors } : null;
}
