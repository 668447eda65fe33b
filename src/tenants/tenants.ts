/**
 * Tenants: every user, login method and ticket belongs to one. "public" always
 * exists. Each tenant may narrow what the server offers (Tenant.config, set by
 * admins): its first factors, password length, email verification and
 * third-party providers; what it leaves unset follows the server's configuration.
 */
import type { Clock } from "../clock.js";
import type { Config, EmailVerificationMode, MfaPolicy } from "../config.js";
import type { Encrypter } from "../crypto/encryption.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { providerSettingsSchema, type ProviderSettings } from "../recipes/thirdparty/providers.js";
import { z } from "zod";

export const DEFAULT_TENANT = "public";
// Tenant ids appear in URLs and tokens: keep them short and plain.
const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const isTenantId = (id: string) => TENANT_ID.test(id);

/** A first factor's id, as recipe definitions name them (recipes/index.ts lists the known ones). */
export type FirstFactor = string;

/** What a tenant's admins set; unset fields follow the server's configuration. */
export interface TenantConfig {
  firstFactors?: FirstFactor[] | null;
  passwordMinLength?: number | null;
  emailVerification?: EmailVerificationMode | null;
  thirdPartyProviders?: ProviderSettings[] | null;
  mfa?: MfaPolicy | null;
  mfaRequiredRoles?: string[] | null;
  mfaFactors?: string[] | null;
}

/** The settings in force for a tenant: one object shared by every caller until the tenant changes, so read only. */
export interface TenantSettings {
  /** null: every first factor the server offers. */
  firstFactors: FirstFactor[] | null;
  passwordMinLength: number;
  emailVerification: EmailVerificationMode;
  thirdPartyProviders: ProviderSettings[];
  mfa: MfaPolicy;
  /** Users with one of these roles need a second factor even when `mfa` is optional. */
  mfaRequiredRoles: string[];
  /** The second factors allowed; null: every one the server offers. */
  mfaFactors: string[] | null;
}

// Provider client secrets are sealed in the database.
const storedSchema = z.object({
  firstFactors: z.array(z.string()).nullish(),
  passwordMinLength: z.number().int().nullish(),
  emailVerification: z.enum(["required", "optional", "off"]).nullish(),
  thirdPartyProviders: z.array(providerSettingsSchema.omit({ clientSecret: true }).extend({ clientSecretSealed: z.string().optional() })).nullish(),
  mfa: z.enum(["off", "optional", "required"]).nullish(),
  mfaRequiredRoles: z.array(z.string()).nullish(),
  mfaFactors: z.array(z.string()).nullish(),
});

export interface TenantStore {
  exists(tenantId: string): Promise<boolean>;
  settings(tenantId: string): Promise<TenantSettings>;
  /** The tenant's own config (secrets left out), or null for an unknown tenant. */
  config(tenantId: string): Promise<TenantConfig | null>;
  setConfig(tenantId: string, config: TenantConfig): Promise<boolean>;
  ensureDefault(): Promise<void>;
  /** Drops a tenant from this process's cache (other processes notice within 30 s). */
  forget(tenantId: string): void;
  list(): Promise<Array<{ id: string; createdAt: Date }>>;
  /** Creates the tenant unless it exists. */
  create(tenantId: string): Promise<void>;
  /** Deletes the tenant (its users must be gone): whether it existed. */
  delete(tenantId: string): Promise<boolean>;
}

// Tenants change rarely; a short cache spares a query on every operation.
const CACHE_MS = 30_000;

type Stored = z.infer<typeof storedSchema>;

export function createTenantStore(prisma: PrismaClient, serverConfig: Config, encrypter: Encrypter, clock: Clock): TenantStore {
  // With the settings in force, worked out once per load (a sign-in asks two or three times).
  const cache = new Map<string, { at: number; stored: Stored; settings: TenantSettings }>();

  async function load(tenantId: string): Promise<{ stored: Stored; settings: TenantSettings } | null> {
    if (!isTenantId(tenantId)) return null;
    const hit = cache.get(tenantId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit;
    const row = await prisma.tenant.findUnique({ where: { id: tenantId }, select: { config: true } });
    if (!row) return null;
    const parsed = storedSchema.safeParse(row.config ?? {});
    const stored = parsed.success ? parsed.data : {};
    const loaded = { at: Date.now(), stored, settings: settingsOf(tenantId, stored) };
    cache.set(tenantId, loaded);
    return loaded;
  }

  function settingsOf(tenantId: string, stored: Stored): TenantSettings {
    return Object.freeze({
      firstFactors: stored.firstFactors ?? null,
      passwordMinLength: stored.passwordMinLength ?? serverConfig.passwordMinLength,
      emailVerification: stored.emailVerification ?? serverConfig.emailVerification,
      thirdPartyProviders: stored.thirdPartyProviders
        ? stored.thirdPartyProviders.map(({ clientSecretSealed, ...provider }) => ({
            ...provider,
            ...(clientSecretSealed ? { clientSecret: encrypter.open(clientSecretSealed) } : {}),
          }))
        : (serverConfig.thirdParty.providers[tenantId] ?? []),
      mfa: stored.mfa ?? serverConfig.mfa.policy,
      mfaRequiredRoles: stored.mfaRequiredRoles ?? serverConfig.mfa.requiredRoles,
      mfaFactors: stored.mfaFactors ?? serverConfig.mfa.factors,
    });
  }

  return {
    exists: async (tenantId) => (await load(tenantId)) !== null,

    // An unknown tenant gets the server's settings (checkTenant refuses it first).
    settings: async (tenantId) => (await load(tenantId))?.settings ?? settingsOf(tenantId, {}),

    async config(tenantId) {
      const stored = (await load(tenantId))?.stored;
      if (!stored) return null;
      return {
        ...stored,
        thirdPartyProviders: stored.thirdPartyProviders?.map(({ clientSecretSealed: _, ...provider }) => provider) ?? null,
      };
    },

    async setConfig(tenantId, config) {
      const stored: Stored = {
        firstFactors: config.firstFactors ?? null,
        passwordMinLength: config.passwordMinLength ?? null,
        emailVerification: config.emailVerification ?? null,
        thirdPartyProviders:
          config.thirdPartyProviders?.map(({ clientSecret, ...provider }) => ({
            ...provider,
            ...(clientSecret ? { clientSecretSealed: encrypter.seal(clientSecret) } : {}),
          })) ?? null,
        mfa: config.mfa ?? null,
        mfaRequiredRoles: config.mfaRequiredRoles ?? null,
        mfaFactors: config.mfaFactors ?? null,
      };
      const { count } = await prisma.tenant.updateMany({ where: { id: tenantId }, data: { config: stored as object } });
      cache.delete(tenantId);
      return count > 0;
    },

    list: () => prisma.tenant.findMany({ orderBy: { createdAt: "asc" }, select: { id: true, createdAt: true } }),
    async create(tenantId) {
      await prisma.tenant.createMany({ data: [{ id: tenantId, createdAt: clock.now() }], skipDuplicates: true });
    },
    async delete(tenantId) {
      const { count } = await prisma.tenant.deleteMany({ where: { id: tenantId } });
      cache.delete(tenantId);
      return count > 0;
    },
    forget(tenantId) {
      cache.delete(tenantId);
    },

    async ensureDefault() {
      // One statement: replicas starting together all run it, and the ORM's upsert (read, then insert) lets two insert.
      await prisma.$executeRaw`INSERT INTO "Tenant" (id) VALUES (${DEFAULT_TENANT}) ON CONFLICT (id) DO NOTHING`;
    },
  };
}
