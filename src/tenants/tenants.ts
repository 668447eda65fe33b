/** Tenants: every user, login method and ticket belongs to one. "public" always exists. */
import type { PrismaClient } from "../generated/prisma/client.js";

export const DEFAULT_TENANT = "public";
// Tenant ids appear in URLs and tokens: keep them short and plain.
const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

export interface TenantStore {
  exists(tenantId: string): Promise<boolean>;
  ensureDefault(): Promise<void>;
  /** Drops a deleted tenant from this process's cache (other processes notice within 30 s). */
  forget(tenantId: string): void;
}

// Existence changes rarely; a short cache spares a query on every operation.
const CACHE_MS = 30_000;

export function createTenantStore(prisma: PrismaClient): TenantStore {
  const known = new Map<string, number>();
  return {
    async exists(tenantId) {
      if (!TENANT_ID.test(tenantId)) return false;
      const seen = known.get(tenantId);
      if (seen && Date.now() - seen < CACHE_MS) return true;
      const found = (await prisma.tenant.count({ where: { id: tenantId } })) > 0;
      if (found) known.set(tenantId, Date.now());
      return found;
    },
    forget(tenantId) {
      known.delete(tenantId);
    },
    async ensureDefault() {
      await prisma.tenant.upsert({ where: { id: DEFAULT_TENANT }, create: { id: DEFAULT_TENANT }, update: {} });
    },
  };
}
