/**
 * Administration (API.md): users listed, read, created, updated, deleted and
 * signed out; the audit log; tenants. Only a caller with the admin secret or the
 * admin role reaches these (see isAdmin), and only through the admin schema.
 */
import { bearerToken, hasAdminSecret, type Context } from "../context.js";
import type { Deps } from "../deps.js";
import type { AuditEvent, Prisma } from "../generated/prisma/client.js";
import type { EmailPasswordFunctions } from "../recipes/emailpassword/service.js";
import { ticketLink } from "../recipes/emailpassword/links.js";
import { checkPassword, checkTenant } from "../tenants/check.js";
import type { ApiResult, FieldError } from "../results.js";
import { DEFAULT_TENANT, isTenantId, type FirstFactor, type TenantConfig } from "../tenants/tenants.js";
import { FIRST_FACTORS } from "../recipes/index.js";
import { providerListSchema, type ProviderSettings } from "../recipes/thirdparty/providers.js";
import type { EmailVerificationMode, MfaPolicy } from "../config.js";
import type { UserChanges } from "../accounts/store.js";
import { checkProfile } from "../accounts/profile.js";
import { normaliseEmail, type UserRow, isUuid } from "../accounts/users.js";
import { checkEmail, invalid } from "../validation.js";

/** Whether the caller may administer: the admin secret header, or a live session whose user has the admin role. */
export async function isAdmin(ctx: Context): Promise<boolean> {
  if (ctx.isAdmin()) return true;
  const viewer = await ctx.viewer();
  return Boolean(viewer?.user.roles.includes(ctx.deps.config.adminRole));
}

/** A cheap first look (the admin secret, or the access token's roles claim: no database) to pick the schema a request sees. */
export async function mayBeAdmin(deps: Deps, request: Request): Promise<boolean> {
  if (hasAdminSecret(deps, request)) return true;
  const token = bearerToken(request);
  const claims = token ? await deps.sessions.verifyAccessToken(token) : null;
  return Boolean(claims?.roles?.includes(deps.config.adminRole));
}

export interface Page<T> {
  nodes: T[];
  totalCount: number;
  endCursor: string | null;
  hasNextPage: boolean;
}

export interface UserFilter {
  tenantId?: string | null;
  /** Part of the email, any case. */
  email?: string | null;
  role?: string | null;
  disabled?: boolean | null;
  isAnonymous?: boolean | null;
}

export interface UserInput {
  email?: string | null;
  password?: string | null;
  emailVerified?: boolean | null;
  roles?: string[] | null;
  defaultRole?: string | null;
  displayName?: string | null;
  avatarUrl?: string | null;
  locale?: string | null;
  metadata?: unknown;
  disabled?: boolean | null;
}

export interface TenantConfigInput {
  firstFactors?: string[] | null;
  passwordMinLength?: number | null;
  emailVerification?: string | null;
  thirdPartyProviders?: unknown;
  mfa?: string | null;
  mfaRequiredRoles?: string[] | null;
  mfaFactors?: string[] | null;
}

export interface AdminApis {
  users(input: { filter?: UserFilter | null; first?: number | null; after?: string | null }): Promise<Page<UserRow>>;
  user(input: { id: string }): Promise<UserRow | null>;
  createUser(input: UserInput & { email: string; tenantId: string }, ctx: Context): ApiResult<{ user: UserRow }>;
  updateUser(input: { id: string; input: UserInput }, ctx: Context): ApiResult<{ user: UserRow }>;
  deleteUser(input: { id: string }, ctx: Context): ApiResult<{ didExist: boolean }>;
  revokeAllSessions(input: { userId: string }, ctx: Context): ApiResult<{ count: number }>;
  auditEvents(input: {
    userId?: string | null;
    tenantId?: string | null;
    type?: string | null;
    first?: number | null;
    after?: string | null;
  }): Promise<Page<AuditEvent>>;
  /** The seed's createResetPasswordLink: a reset link for support to hand over (not mailed). */
  createResetPasswordLink(input: { userId: string }): ApiResult<{ link: string }>;
  /** The seed's createEmailVerificationLink. */
  createEmailVerificationLink(input: { userId: string }): ApiResult<{ link: string }>;
  /** For a user who lost their authenticator: removes their second factors (all, or those named; see mfa/registry.ts). */
  resetUserMfa(
    input: { userId: string; factors?: string[] | null },
    ctx: Context,
  ): ApiResult<{ devicesRemoved: number; factors: Array<{ factor: string; removed: number }> }>;
  tenants(): Promise<Array<{ id: string; createdAt: Date }>>;
  tenantConfig(input: { id: string }): Promise<TenantConfig | null>;
  /** Replaces a tenant's config: fields left out follow the server's configuration again. */
  updateTenant(input: { id: string; config: TenantConfigInput }): ApiResult<{ id: string }>;
  createTenant(input: { id: string }): ApiResult<{ id: string }>;
  deleteTenant(input: { id: string }): ApiResult<{ didExist: boolean }>;
}

const MAX_PAGE = 100;
const pageSize = (first: number | null | undefined) => Math.min(Math.max(first ?? 20, 1), MAX_PAGE);

/** Keyset cursors: opaque to clients, stable while rows are added. */
const encodeCursor = (parts: string[]) => Buffer.from(JSON.stringify(parts)).toString("base64url");

/** A page from `take + 1` rows (the extra one says whether another page follows); the cursor is the last node's keyset. */
function pageOf<T>(rows: T[], take: number, totalCount: number, keyOf: (last: T) => string[]): Page<T> {
  const nodes = rows.slice(0, take);
  const last = nodes.at(-1);
  return { nodes, totalCount, hasNextPage: rows.length > take, endCursor: last ? encodeCursor(keyOf(last)) : null };
}
function decodeCursor(cursor: string | null | undefined): string[] | null {
  if (!cursor) return null;
  try {
    const parts = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    return Array.isArray(parts) && parts.every((part) => typeof part === "string") ? parts : null;
  } catch {
    return null;
  }
}

export function createAdminApis(deps: Deps, emailpassword: EmailPasswordFunctions): AdminApis {
  const { config } = deps;
  const assignable = [...new Set([...config.userRoles, config.adminRole])];

  /** The roles, profile and disabled flag of UserInput, checked: errors, and the columns to write. */
  function checkUserInput(input: UserInput, current?: UserRow): { errors: FieldError[]; changes: UserChanges } {
    const errors: FieldError[] = [];
    const changes: UserChanges = {};
    const roles = input.roles ?? current?.roles ?? config.userRoles;
    if (input.roles) {
      const unknown = input.roles.filter((role) => !assignable.includes(role));
      if (unknown.length > 0) errors.push({ id: "roles", error: `not configured roles: ${unknown.join(", ")}` });
      changes.roles = [...new Set(input.roles)];
    }
    const defaultRole = input.defaultRole ?? (current ? undefined : roles.includes(config.userDefaultRole) ? config.userDefaultRole : roles[0]);
    if (defaultRole !== undefined) {
      if (!defaultRole || !roles.includes(defaultRole)) errors.push({ id: "defaultRole", error: "must be one of the user's roles" });
      changes.defaultRole = defaultRole;
    } else if (current && !roles.includes(current.defaultRole)) {
      errors.push({ id: "defaultRole", error: "must be one of the user's roles" });
    }
    const profile = checkProfile(input);
    errors.push(...profile.errors);
    Object.assign(changes, profile.values);
    if (input.disabled != null) changes.disabled = input.disabled;
    return { errors, changes };
  }

  return {
    async users({ filter, first, after }) {
      const where: Prisma.UserWhereInput = {
        ...(filter?.tenantId ? { tenantId: filter.tenantId } : {}),
        ...(filter?.email ? { email: { contains: filter.email.trim().toLowerCase() } } : {}),
        ...(filter?.role ? { roles: { has: filter.role } } : {}),
        ...(filter?.disabled != null ? { disabled: filter.disabled } : {}),
        ...(filter?.isAnonymous != null ? { isAnonymous: filter.isAnonymous } : {}),
      };
      const cursor = decodeCursor(after);
      const take = pageSize(first);
      const keyset: Prisma.UserWhereInput = cursor
        ? { OR: [{ createdAt: { gt: new Date(cursor[0]!) } }, { createdAt: new Date(cursor[0]!), id: { gt: cursor[1] } }] }
        : {};
      const { rows, totalCount } = await deps.accounts.page(where, keyset, take + 1);
      return pageOf(rows, take, totalCount, (last) => [last.createdAt.toISOString(), last.id]);
    },

    user: async ({ id }) => deps.accounts.byId(id),

    async createUser(input, ctx) {
      const { errors, changes } = checkUserInput(input);
      const tenantId = input.tenantId;
      const bad = invalid(
        await checkTenant(deps, tenantId),
        checkEmail("email", input.email),
        input.password != null ? await checkPassword(deps, "password", input.password, tenantId, input.email) : null,
        ...errors,
      );
      if (bad) return bad;
      const email = normaliseEmail(input.email);
      if (await deps.accounts.byEmail(tenantId, email)) return { status: "EMAIL_ALREADY_EXISTS_ERROR" };
      const {
        roles = config.userRoles,
        defaultRole = config.userDefaultRole,
        displayName = "",
        avatarUrl = "",
        locale = "en",
        metadata = {},
        disabled,
      } = changes;
      const created = await deps.accounts.signUp(
        {
          tenantId,
          email,
          emailVerified: input.emailVerified ?? false,
          passwordHash: input.password != null ? await deps.hasher.hash(input.password) : null,
          profile: { roles, defaultRole, displayName, avatarUrl, locale, metadata },
          ...(input.password != null ? { loginMethod: { recipeId: "emailpassword", email, verified: input.emailVerified ?? false } } : {}),
        },
        ctx.meta,
        "admin.user_created",
      );
      if (created.status !== "OK" || !disabled) return created;
      const user = await deps.accounts.update(created.user, { disabled }, ctx.meta);
      return user === "TAKEN" ? { status: "EMAIL_ALREADY_EXISTS_ERROR" } : { status: "OK", user };
    },

    async updateUser({ id, input }, ctx) {
      const current = await deps.accounts.byId(id);
      if (!current) return { status: "UNKNOWN_USER_ID_ERROR", message: "No such user" };
      const { errors, changes } = checkUserInput(input, current);
      const bad = invalid(
        input.email != null ? checkEmail("email", input.email) : null,
        input.password != null ? await checkPassword(deps, "password", input.password, current.tenantId, input.email ?? current.email) : null,
        ...errors,
      );
      if (bad) return bad;
      if (input.email != null || input.emailVerified != null) {
        const changed = await emailpassword.updateEmailOrPassword({
          userId: id,
          ...(input.email != null ? { email: input.email } : {}),
          ...(input.emailVerified != null ? { emailVerified: input.emailVerified } : {}),
          meta: ctx.meta,
        });
        if (changed.status !== "OK") return changed.status === "UNKNOWN_USER_ID_ERROR" ? { status: changed.status, message: "No such user" } : changed;
      }
      // A password set by an admin is a recovery: whoever held the account is out (API.md "Accounts").
      if (input.password != null)
        await deps.accounts.recover((await deps.accounts.byId(id))!, { passwordHash: await deps.hasher.hash(input.password), byAdmin: true }, ctx.meta);
      const fields = Object.keys(input).filter((field) => field !== "password" && input[field as keyof UserInput] != null);
      const user = await deps.accounts.update((await deps.accounts.byId(id))!, changes, ctx.meta, { type: "admin.user_updated", data: { fields } });
      if (user === "TAKEN") return { status: "EMAIL_ALREADY_EXISTS_ERROR" };
      // A disabled user loses every session at once (personal access tokens stop at their next use).
      if (input.disabled) await deps.sessions.revokeAll(id, "user_disabled");
      return { status: "OK", user };
    },

    async deleteUser({ id }, ctx) {
      const user = await deps.accounts.byId(id);
      if (!user) return { status: "OK", didExist: false };
      return { status: "OK", didExist: await deps.accounts.delete(user, ctx.meta, "admin.user_deleted") };
    },

    async revokeAllSessions({ userId }, ctx) {
      const user = await deps.accounts.byId(userId);
      if (!user) return { status: "UNKNOWN_USER_ID_ERROR", message: "No such user" };
      const count = await deps.sessions.revokeAll(userId, "admin");
      await deps.audit.recordFor(ctx.meta, "admin.sessions_revoked", user, { count });
      return { status: "OK", count };
    },

    async auditEvents({ userId, tenantId, type, first, after }) {
      // No user has an id of another shape: an empty page, not a database error.
      if (userId && !isUuid(userId)) return { nodes: [], totalCount: 0, hasNextPage: false, endCursor: null };
      const where: Prisma.AuditEventWhereInput = {
        ...(userId ? { userId } : {}),
        ...(tenantId ? { tenantId } : {}),
        ...(type ? { type } : {}),
      };
      const cursor = decodeCursor(after);
      const take = pageSize(first);
      const before = cursor && /^\d+$/.test(cursor[0]!) ? { id: { lt: BigInt(cursor[0]!) } } : {};
      const { rows, totalCount } = await deps.audit.page(where, before, take + 1);
      return pageOf(rows, take, totalCount, (last) => [String(last.id)]);
    },

    async createResetPasswordLink({ userId }) {
      const user = await deps.accounts.byId(userId);
      if (!user?.email) return { status: "UNKNOWN_USER_ID_ERROR", message: "No such user with an email" };
      const created = await emailpassword.createResetPasswordToken({ userId, email: user.email, tenantId: user.tenantId });
      if (created.status !== "OK") return { status: "UNKNOWN_USER_ID_ERROR", message: "No such user with an email" };
      return { status: "OK", link: ticketLink(config, "passwordReset", created.token, user.tenantId) };
    },

    async createEmailVerificationLink({ userId }) {
      const user = await deps.accounts.byId(userId);
      if (!user?.email) return { status: "UNKNOWN_USER_ID_ERROR", message: "No such user with an email" };
      const created = await emailpassword.createEmailVerificationToken({ userId, email: user.email, tenantId: user.tenantId });
      if (created.status !== "OK") return created;
      return { status: "OK", link: ticketLink(config, "emailVerify", created.token, user.tenantId) };
    },

    async resetUserMfa({ userId, factors }, ctx) {
      const unknown = factors?.filter((factor) => !deps.mfa.has(factor)) ?? [];
      if (unknown.length > 0) return invalid({ id: "factors", error: `unknown factors: ${unknown.join(", ").slice(0, 200)}` })!;
      const user = await deps.accounts.byId(userId);
      if (!user) return { status: "UNKNOWN_USER_ID_ERROR", message: "No such user" };
      const removed = await deps.mfa.reset(user, factors ?? null);
      await deps.audit.recordFor(ctx.meta, "mfa.reset", user, { byAdmin: true, removed });
      return {
        status: "OK",
        devicesRemoved: removed.totp ?? 0,
        factors: Object.entries(removed).map(([factor, count]) => ({ factor, removed: count })),
      };
    },

    tenants: () => deps.tenants.list(),

    async createTenant({ id }) {
      if (!isTenantId(id)) return invalid({ id: "id", error: "must be 1-64 lower-case letters, digits or dashes" })!;
      await deps.tenants.create(id);
      return { status: "OK", id };
    },

    tenantConfig: ({ id }) => deps.tenants.config(id),

    async updateTenant({ id, config: input }) {
      const errors: FieldError[] = [];
      const factors = input.firstFactors ?? null;
      const unknownFactors = factors?.filter((factor) => !(FIRST_FACTORS as readonly string[]).includes(factor)) ?? [];
      if (unknownFactors.length > 0)
        errors.push({ id: "config.firstFactors", error: `unknown first factors: ${unknownFactors.join(", ")} (known: ${FIRST_FACTORS.join(", ")})` });
      const minLength = input.passwordMinLength ?? null;
      if (minLength !== null && (minLength < 1 || minLength > 64)) errors.push({ id: "config.passwordMinLength", error: "must be from 1 to 64" });
      const verification = input.emailVerification?.toLowerCase() ?? null;
      if (verification !== null && !["required", "optional", "off"].includes(verification))
        errors.push({ id: "config.emailVerification", error: "must be REQUIRED, OPTIONAL or OFF" });
      let providers: ProviderSettings[] | null = null;
      if (input.thirdPartyProviders != null) {
        const parsed = providerListSchema.safeParse(input.thirdPartyProviders);
        if (parsed.success) providers = parsed.data;
        else
          errors.push({ id: "config.thirdPartyProviders", error: parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ") });
      }
      const mfa = input.mfa?.toLowerCase() ?? null;
      if (mfa !== null && !["required", "optional", "off"].includes(mfa)) errors.push({ id: "config.mfa", error: "must be REQUIRED, OPTIONAL or OFF" });
      const unknownSecondFactors = input.mfaFactors?.filter((factor) => !deps.mfa.secondFactorIds(null).includes(factor)) ?? [];
      if (unknownSecondFactors.length > 0)
        errors.push({
          id: "config.mfaFactors",
          error: `unknown second factors: ${unknownSecondFactors.join(", ").slice(0, 200)} (known: ${deps.mfa.secondFactorIds(null).join(", ")})`,
        });
      const unknownRoles = input.mfaRequiredRoles?.filter((role) => !assignable.includes(role)) ?? [];
      if (unknownRoles.length > 0) errors.push({ id: "config.mfaRequiredRoles", error: `unknown roles: ${unknownRoles.join(", ").slice(0, 200)}` });
      const bad = invalid(...errors);
      if (bad) return bad;
      const saved = await deps.tenants.setConfig(id, {
        mfa: mfa as MfaPolicy | null,
        mfaRequiredRoles: input.mfaRequiredRoles ?? null,
        mfaFactors: input.mfaFactors ?? null,
        firstFactors: factors as FirstFactor[] | null,
        passwordMinLength: minLength,
        emailVerification: verification as EmailVerificationMode | null,
        thirdPartyProviders: providers,
      });
      return saved ? { status: "OK", id } : invalid({ id: "id", error: "is not a tenant" })!;
    },

    async deleteTenant({ id }) {
      if (id === DEFAULT_TENANT) return invalid({ id: "id", error: `the "${DEFAULT_TENANT}" tenant cannot be deleted` })!;
      if (await deps.accounts.count({ tenantId: id })) {
        return invalid({ id: "id", error: "the tenant has users: delete them first" })!;
      }
      return { status: "OK", didExist: await deps.tenants.delete(id) };
    },
  };
}
