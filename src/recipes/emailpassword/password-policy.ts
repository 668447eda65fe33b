/**
 * The password policy of NIST SP 800-63B §3.1.1.2 and OWASP ASVS 5 (V6.2):
 * a minimum length counted in Unicode code points, a generous maximum, never
 * truncated, no composition rules, and common passwords refused.
 */
import { dictionary } from "@zxcvbn-ts/language-common";

// ~49k most common passwords (zxcvbn-ts's list, MIT), lower-cased for lookup.
let common: Set<string> | undefined;
const commonPasswords = () => (common ??= new Set((dictionary["passwords-common"] as string[]).map((word) => word.toLowerCase())));

export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
}

/** Why the password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, policy: PasswordPolicy, context: { email?: string | null } = {}): string | null {
  // Lone surrogates would all hash as U+FFFD, making distinct passwords equal.
  if (/[\uD800-\uDFFF]/u.test(password)) return "must be valid Unicode text";
  const length = [...password].length;
  if (length < policy.minLength) return `must be at least ${policy.minLength} characters`;
  if (length > policy.maxLength) return `must be at most ${policy.maxLength} characters`;
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) return "is too common; choose a less predictable password";
  if (context.email && lower === context.email.toLowerCase()) return "must not be your email address";
  return null;
}
