import type { Deps } from "../deps.js";
import type { FieldError } from "../schema/results.js";

export async function checkTenant(deps: Deps, tenantId: string): Promise<FieldError | null> {
  return (await deps.tenants.exists(tenantId)) ? null : { id: "tenantId", error: `unknown tenant "${tenantId.slice(0, 64)}"` };
}
