/**
 * SignUpOptions (API.md): the profile and roles a new user starts with. Allowed
 * roles must be a subset of the configured roles and the default role one of
 * them; redirectTo must be allow-listed.
 */
import type { Config } from "../config.js";
import type { FieldError } from "../schema/results.js";
import { checkRedirect, isText, isTextJson } from "../validation.js";

export interface SignUpOptionsInput {
  allowedRoles?: string[] | null;
  defaultRole?: string | null;
  displayName?: string | null;
  locale?: string | null;
  metadata?: unknown;
  redirectTo?: string | null;
}

export interface NewUserProfile {
  roles: string[];
  defaultRole: string;
  displayName: string;
  locale: string;
  metadata: Record<string, unknown>;
}

const MAX_DISPLAY_NAME = 200;
const MAX_METADATA_BYTES = 8 * 1024;
// BCP 47 language tags, e.g. "en", "pt-BR", "zh-Hant-TW".
const LOCALE = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8}){0,3}$/;

export function parseSignUpOptions(
  config: Config,
  options: SignUpOptionsInput | null | undefined,
): { profile: NewUserProfile; redirectTo: string | null; errors: FieldError[] } {
  const input = options ?? {};
  const errors: FieldError[] = [];
  const roles = input.allowedRoles ?? config.userRoles;
  const defaultRole = input.defaultRole ?? (roles.includes(config.userDefaultRole) ? config.userDefaultRole : roles[0]);
  const unknown = roles.filter((role) => !config.userRoles.includes(role));
  if (unknown.length > 0) errors.push({ id: "options.allowedRoles", error: `not configured roles: ${unknown.join(", ")}` });
  if (!defaultRole || !roles.includes(defaultRole)) errors.push({ id: "options.defaultRole", error: "must be one of the allowed roles" });
  const displayName = (input.displayName ?? "").trim();
  if (!isText(displayName)) errors.push({ id: "options.displayName", error: "must be text without NUL or lone surrogates" });
  else if ([...displayName].length > MAX_DISPLAY_NAME) errors.push({ id: "options.displayName", error: `must be at most ${MAX_DISPLAY_NAME} characters` });
  const locale = input.locale ?? "en";
  if (!LOCALE.test(locale)) errors.push({ id: "options.locale", error: "must be a language tag like en or pt-BR" });
  const metadata = input.metadata ?? {};
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    errors.push({ id: "options.metadata", error: "must be a JSON object" });
  } else if (!isTextJson(metadata)) {
    errors.push({ id: "options.metadata", error: "strings must be text without NUL or lone surrogates" });
  } else if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) {
    errors.push({ id: "options.metadata", error: `must be at most ${MAX_METADATA_BYTES} bytes as JSON` });
  }
  const redirectError = checkRedirect(config, "options.redirectTo", input.redirectTo);
  if (redirectError) errors.push(redirectError);
  return {
    profile: { roles: [...new Set(roles)], defaultRole: defaultRole ?? config.userDefaultRole, displayName, locale, metadata: metadata as Record<string, unknown> },
    redirectTo: input.redirectTo ?? null,
    errors,
  };
}

/** The user columns a profile sets; the server's defaults for a user made without one. */
export function profileColumns(config: Pick<Config, "userRoles" | "userDefaultRole">, profile?: NewUserProfile | null) {
  return {
    roles: profile?.roles ?? config.userRoles,
    defaultRole: profile?.defaultRole ?? config.userDefaultRole,
    displayName: profile?.displayName ?? "",
    locale: profile?.locale ?? "en",
    metadata: (profile?.metadata ?? {}) as object,
  };
}
