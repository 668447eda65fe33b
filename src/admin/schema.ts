/**
 * The admin fields (API.md "Administration"). They exist only in the admin
 * schema, which a request sees when it carries the admin secret or an access
 * token with the admin role; every resolver checks again (the role against the
 * database), so a stale token cannot administer.
 */
import { GraphQLError } from "graphql";
import type { Context } from "../context.js";
import type { AuditEvent } from "../generated/prisma/client.js";
import type { ObjectRef } from "@pothos/core";
import type { FactorEnums } from "../schema/enums.js";
import type { Builder, Types } from "../schema/builder.js";
import type { MutationSpec, Results } from "../schema/result-types.js";
import type { SharedTypes } from "../accounts/schema.js";
import type { UserRow } from "../accounts/users.js";
import type { TenantConfig } from "../tenants/tenants.js";
import { isAdmin, type AdminApis, type Page } from "./service.js";

const forbidden = () => new GraphQLError("Only administrators can do this", { extensions: { code: "FORBIDDEN", http: { status: 200 } } });

/** Runs `work` for administrators only. */
async function asAdmin<T>(ctx: Context, work: () => Promise<T>): Promise<T> {
  if (!(await isAdmin(ctx))) throw forbidden();
  return work();
}

export function registerAdminSchema(
  builder: Builder,
  results: Results,
  types: SharedTypes,
  enums: FactorEnums,
  AuditEventType: ObjectRef<Types, AuditEvent>,
  api: AdminApis,
): void {
  const PageInfo = builder.objectRef<{ endCursor: string | null; hasNextPage: boolean }>("PageInfo").implement({
    fields: (t) => ({ endCursor: t.exposeString("endCursor", { nullable: true }), hasNextPage: t.exposeBoolean("hasNextPage") }),
  });
  const connection = <T>(name: string, node: any) =>
    builder.objectRef<Page<T>>(name).implement({
      fields: (t) => ({
        nodes: t.field({ type: [node], resolve: (page) => page.nodes as never }),
        totalCount: t.exposeInt("totalCount"),
        pageInfo: t.field({ type: PageInfo, resolve: (page) => page }),
      }),
    });
  const UserConnection = connection<UserRow>("UserConnection", types.User);
  const AuditEventConnection = connection<AuditEvent>("AuditEventConnection", AuditEventType);
  const TenantConfigType = builder.objectRef<TenantConfig>("TenantConfig").implement({
    description: "What the tenant's admins set; null fields follow the server's configuration.",
    fields: (t) => ({
      firstFactors: t.field({ type: [enums.FirstFactor], nullable: true, resolve: (config) => (config.firstFactors ?? null) as never }),
      passwordMinLength: t.int({ nullable: true, resolve: (config) => config.passwordMinLength ?? null }),
      emailVerification: t.string({ nullable: true, resolve: (config) => config.emailVerification?.toUpperCase() ?? null }),
      thirdPartyProviders: t.field({
        type: "JSON",
        nullable: true,
        description: "Provider settings (client secrets left out).",
        resolve: (config) => config.thirdPartyProviders ?? null,
      }),
      mfa: t.string({ nullable: true, resolve: (config) => config.mfa?.toUpperCase() ?? null }),
      mfaRequiredRoles: t.stringList({ nullable: true, resolve: (config) => config.mfaRequiredRoles ?? null }),
      mfaFactors: t.field({ type: [enums.AuthFactor], nullable: true, resolve: (config) => (config.mfaFactors ?? null) as never }),
    }),
  });
  const Tenant = builder.objectRef<{ id: string; createdAt: Date }>("Tenant").implement({
    fields: (t) => ({
      id: t.exposeString("id"),
      createdAt: t.field({ type: "DateTime", resolve: (tenant) => tenant.createdAt }),
      config: t.field({ type: TenantConfigType, resolve: async (tenant) => (await api.tenantConfig({ id: tenant.id })) ?? {} }),
    }),
  });
  const TenantConfigInput = builder.inputType("TenantConfigInput", {
    fields: (t) => ({
      firstFactors: t.field({ type: [enums.FirstFactor], required: false, description: "The ways to sign in on this tenant; null: all." }),
      passwordMinLength: t.int({ required: false }),
      emailVerification: t.string({ required: false, description: "REQUIRED, OPTIONAL or OFF; null: EMAIL_VERIFICATION." }),
      thirdPartyProviders: t.field({
        type: "JSON",
        required: false,
        description: "Providers as in THIRD_PARTY_PROVIDERS; null: the server's (default tenant) or none.",
      }),
      mfa: t.string({ required: false, description: "Multi-factor sign-in: REQUIRED, OPTIONAL or OFF; null: MFA." }),
      mfaRequiredRoles: t.stringList({ required: false, description: "Roles whose users always need a second factor; null: MFA_REQUIRED_ROLES." }),
      mfaFactors: t.field({
        type: [enums.AuthFactor],
        required: false,
        description: "The second factors accepted (password is not one); null: MFA_FACTORS or all.",
      }),
    }),
  });

  const UserFilter = builder.inputType("UserFilter", {
    fields: (t) => ({
      tenantId: t.string({ required: false }),
      email: t.string({ required: false, description: "Part of the email, any case." }),
      role: t.string({ required: false }),
      disabled: t.boolean({ required: false }),
      isAnonymous: t.boolean({ required: false }),
    }),
  });
  const profileFields = (t: any) => ({
    password: t.string({ required: false }),
    emailVerified: t.boolean({ required: false }),
    roles: t.stringList({ required: false, description: "Configured roles (USER_ROLES and ADMIN_ROLE)." }),
    defaultRole: t.string({ required: false }),
    displayName: t.string({ required: false }),
    avatarUrl: t.string({ required: false }),
    locale: t.string({ required: false }),
    metadata: t.field({ type: "JSON", required: false }),
    disabled: t.boolean({ required: false, description: "Disabling signs the user out everywhere and stops their tokens." }),
  });
  const CreateUserInput = builder.inputType("CreateUserInput", {
    fields: (t) => ({ email: t.string({ required: true }), tenantId: t.string({ required: false }), ...profileFields(t) }),
  });
  const UpdateUserInput = builder.inputType("UpdateUserInput", {
    fields: (t) => ({ email: t.string({ required: false }), ...profileFields(t) }),
  });

  builder.queryField("users", (t) =>
    t.field({
      type: UserConnection,
      description: "Admin: users, filtered, oldest first, `first` (at most 100) at a time after the cursor.",
      args: { filter: t.arg({ type: UserFilter, required: false }), first: t.arg.int({ required: false }), after: t.arg.string({ required: false }) },
      resolve: (_, args, ctx) => asAdmin(ctx, () => api.users(args)),
    }),
  );
  builder.queryField("user", (t) =>
    t.field({
      type: types.User,
      nullable: true,
      description: "Admin: one user by id.",
      args: { id: t.arg.id({ required: true }) },
      resolve: (_, args, ctx) => asAdmin(ctx, () => api.user({ id: String(args.id) })),
    }),
  );
  builder.queryField("auditEvents", (t) =>
    t.field({
      type: AuditEventConnection,
      description: "Admin: the audit log, newest first.",
      args: {
        userId: t.arg.id({ required: false }),
        tenantId: t.arg.string({ required: false }),
        type: t.arg.string({ required: false, description: 'e.g. "user.signed_in", "session.token_theft_detected".' }),
        first: t.arg.int({ required: false }),
        after: t.arg.string({ required: false }),
      },
      resolve: (_, args, ctx) => asAdmin(ctx, () => api.auditEvents({ ...args, userId: args.userId == null ? null : String(args.userId) })),
    }),
  );
  builder.queryField("tenants", (t) =>
    t.field({ type: [Tenant], description: "Admin: every tenant.", resolve: (_, __, ctx) => asAdmin(ctx, () => api.tenants()) }),
  );

  /** A mutation only administrators run: the check wraps every resolver, so none can be registered without it. */
  const adminMutation = (name: string, spec: MutationSpec) =>
    results.mutation(name, { ...spec, resolve: (args, ctx) => asAdmin(ctx, () => spec.resolve(args, ctx)) });
  const UserOk = (name: string) => results.ok<{ user: UserRow }>(name, (t) => ({ user: t.field({ type: types.User, resolve: (value) => value.user }) }));
  adminMutation("createUser", {
    ok: UserOk("CreateUserOk"),
    errors: ["EMAIL_ALREADY_EXISTS_ERROR", "INVALID_INPUT_ERROR"],
    description: "Admin: creates a user (with a password, or for passwordless and provider sign-in).",
    args: (arg) => ({ input: arg({ type: CreateUserInput, required: true }) }),
    resolve: (args, ctx) => api.createUser({ ...args.input, tenantId: args.input.tenantId ?? "public" }, ctx),
  });
  adminMutation("updateUser", {
    ok: UserOk("UpdateUserOk"),
    errors: ["UNKNOWN_USER_ID_ERROR", "EMAIL_ALREADY_EXISTS_ERROR", "INVALID_INPUT_ERROR"],
    description: "Admin: changes a user's email, password, roles, profile, metadata or disabled flag.",
    args: (arg) => ({ id: arg.id({ required: true }), input: arg({ type: UpdateUserInput, required: true }) }),
    resolve: (args, ctx) => api.updateUser({ id: String(args.id), input: args.input }, ctx),
  });
  adminMutation("deleteUser", {
    ok: results.ok<{ didExist: boolean }>("DeleteUserOk", (t) => ({ didExist: t.exposeBoolean("didExist") })),
    errors: [],
    description: "Admin: deletes a user and everything that is theirs.",
    args: (arg) => ({ id: arg.id({ required: true }) }),
    resolve: (args, ctx) => api.deleteUser({ id: String(args.id) }, ctx),
  });
  adminMutation("revokeAllSessions", {
    ok: results.ok<{ count: number }>("RevokeAllSessionsOk", (t) => ({ count: t.exposeInt("count") })),
    errors: ["UNKNOWN_USER_ID_ERROR"],
    description: "Admin: signs a user out everywhere.",
    args: (arg) => ({ userId: arg.id({ required: true }) }),
    resolve: (args, ctx) => api.revokeAllSessions({ userId: String(args.userId) }, ctx),
  });
  const LinkOk = (name: string) => results.ok<{ link: string }>(name, (t) => ({ link: t.exposeString("link") }));
  adminMutation("createResetPasswordLink", {
    ok: LinkOk("CreateResetPasswordLinkOk"),
    errors: ["UNKNOWN_USER_ID_ERROR"],
    description: "Admin: a password-reset link for the user (returned, not mailed), as the seed's createResetPasswordLink.",
    args: (arg) => ({ userId: arg.id({ required: true }) }),
    resolve: (args) => api.createResetPasswordLink({ userId: String(args.userId) }),
  });
  adminMutation("createEmailVerificationLink", {
    ok: LinkOk("CreateEmailVerificationLinkOk"),
    errors: ["UNKNOWN_USER_ID_ERROR", "EMAIL_ALREADY_VERIFIED_ERROR"],
    description: "Admin: an email-verification link for the user (returned, not mailed).",
    args: (arg) => ({ userId: arg.id({ required: true }) }),
    resolve: (args) => api.createEmailVerificationLink({ userId: String(args.userId) }),
  });
  const FactorReset = builder.objectRef<{ factor: string; removed: number }>("FactorReset").implement({
    fields: (t) => ({ factor: t.exposeString("factor"), removed: t.exposeInt("removed") }),
  });
  adminMutation("resetUserMfa", {
    ok: results.ok<{ devicesRemoved: number; factors: Array<{ factor: string; removed: number }> }>("ResetUserMfaOk", (t) => ({
      devicesRemoved: t.exposeInt("devicesRemoved", { description: "TOTP devices removed." }),
      factors: t.field({ type: [FactorReset], description: "What went, per factor.", resolve: (value) => value.factors }),
    })),
    errors: ["UNKNOWN_USER_ID_ERROR", "INVALID_INPUT_ERROR"],
    description:
      'Admin: removes the user\'s second factors (a lost phone or key): by default every one that can be removed ("totp", "recoveryCode", "webauthn"), turning multi-factor sign-in off unless policy requires it. Email and SMS codes follow the user\'s addresses (updateUser).',
    args: (arg) => ({
      userId: arg.id({ required: true }),
      factors: arg.stringList({ required: false, description: "Only these factors; null: all." }),
    }),
    resolve: (args, ctx) => api.resetUserMfa({ userId: String(args.userId), factors: args.factors ?? null }, ctx),
  });
  adminMutation("createTenant", {
    ok: results.ok<{ id: string }>("CreateTenantOk", (t) => ({ id: t.exposeString("id") })),
    errors: ["INVALID_INPUT_ERROR"],
    description: "Admin: creates a tenant (idempotent). Its users, codes and sessions are separate from every other tenant's.",
    args: (arg) => ({ id: arg.string({ required: true }) }),
    resolve: (args) => api.createTenant(args),
  });
  adminMutation("updateTenant", {
    ok: results.ok<{ id: string }>("UpdateTenantOk", (t) => ({ id: t.exposeString("id") })),
    errors: ["INVALID_INPUT_ERROR"],
    description: "Admin: sets a tenant's first factors, password length, email verification and providers (replacing its previous config).",
    args: (arg) => ({ id: arg.string({ required: true }), config: arg({ type: TenantConfigInput, required: true }) }),
    resolve: (args) => api.updateTenant(args),
  });
  adminMutation("deleteTenant", {
    ok: results.ok<{ didExist: boolean }>("DeleteTenantOk", (t) => ({ didExist: t.exposeBoolean("didExist") })),
    errors: ["INVALID_INPUT_ERROR"],
    description: "Admin: deletes a tenant without users (not the default one).",
    args: (arg) => ({ id: arg.string({ required: true }) }),
    resolve: (args) => api.deleteTenant(args),
  });
}
