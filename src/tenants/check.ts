/** Tenant checks shared by the recipes' APIs. */
import type { Deps } from "../deps.js";
import type { FieldError } from "../results.js";
import type { FirstFactor } from "./tenants.js";
import { passwordProblem } from "../recipes/emailpassword/password-policy.js";

/**
 * The tenant must exist and, when `factor` is given, offer it as a way to sign
 * in (its admins may narrow the first factors): else a FieldError on tenantId.
 */
export async function checkTenant(deps: Deps, tenantId: string, factor?: FirstFactor): Promise<FieldError | null> {
  if (!(await deps.tenants.exists(tenantId))) return { id: "tenantId", error: `unknown tenant "${tenantId.slice(0, 64)}"` };
  if (factor && !(await allowsFactor(deps, tenantId, factor))) return { id: "tenantId", error: `${factor} sign-in is not enabled for tenant "${tenantId}"` };
  return null;
}

export async function allowsFactor(deps: Deps, tenantId: string, factor: FirstFactor): Promise<boolean> {
  const { firstFactors } = await deps.tenants.settings(tenantId);
  return firstFactors === null || firstFactors.includes(factor);
}

/** The tenant's email verification mode (EMAIL_VERIFICATION unless its admins set one). */
export async function emailVerificationOf(deps: Deps, tenantId: string) {
  return (await deps.tenants.settings(tenantId)).emailVerification;
}

/** The password policy of the tenant (its admins may set the minimum length): a FieldError on `id`, or null. */
export async function checkPassword(deps: Deps, id: string, password: string, tenantId: string, email?: string | null): Promise<FieldError | null> {
  const policy = { minLength: (await deps.tenants.settings(tenantId)).passwordMinLength, maxLength: deps.config.passwordMaxLength };
  const problem = passwordProblem(password, policy, { email });
  if (problem) return { id, error: problem };
  // Only a password that passes the policy is worth a look-up (and a request to the service).
  return (await deps.breachedPasswords.isBreached(password)) ? { id, error: "appears in a known data breach; choose another password" } : null;
}
