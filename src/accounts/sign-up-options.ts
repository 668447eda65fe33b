/**
 * SignUpOptions (API.md): the profile and roles a new user starts with. Allowed
 * roles must be a subset of the configured roles and the default role one of
 * them; redirectTo must be allow-listed.
 */
import type { Config } from "../config.js";
import type { ProfileColumns } from "./store.js";
import type { FieldError } from "../results.js";
import { checkRedirect } from "../validation.js";
import { checkProfile } from "./profile.js";

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
  const checked = checkProfile({ displayName: input.displayName ?? "", locale: input.locale ?? "en", metadata: input.metadata ?? {} }, "options.");
  errors.push(...checked.errors);
  const { displayName = "", locale = "en", metadata = {} } = checked.values;
  const redirectError = checkRedirect(config, "options.redirectTo", input.redirectTo);
  if (redirectError) errors.push(redirectError);
  return {
    profile: { roles: [...new Set(roles)], defaultRole: defaultRole ?? config.userDefaultRole, displayName, locale, metadata },
    redirectTo: input.redirectTo ?? null,
    errors,
  };
}

/** The user columns a profile sets; the server's defaults for a user made without one. */
export function profileColumns(config: Pick<Config, "userRoles" | "userDefaultRole">, profile?: NewUserProfile | null): ProfileColumns {
  return {
    roles: profile?.roles ?? config.userRoles,
    defaultRole: profile?.defaultRole ?? config.userDefaultRole,
    displayName: profile?.displayName ?? "",
    locale: profile?.locale ?? "en",
    metadata: profile?.metadata ?? {},
  };
}
