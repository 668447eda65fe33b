/** Small helpers shared by the recipe schema files. */
import type { ArgBuilder } from "@pothos/core";
import { DEFAULT_TENANT } from "../tenants/tenants.js";
import type { Types } from "./builder.js";

/** Marks a root field as checking a client-supplied secret; see security/credential-limit.ts. */
export const CREDENTIAL_CHECK = { credentialCheck: true } as const;

export const tenantArg = (t: { arg: ArgBuilder<Types> }) =>
  t.arg.string({ required: false, description: `Tenant the operation applies to (default "${DEFAULT_TENANT}").` });

export const tenantOf = (args: { tenantId?: string | null }) => args.tenantId ?? DEFAULT_TENANT;
