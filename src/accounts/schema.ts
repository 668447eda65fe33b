/** The shared User, LoginMethod and Session types, and `me`. */
import { GraphQLError } from "graphql";
import { isAdmin } from "../admin/service.js";
import type { Context } from "../context.js";
import type { Builder, Types } from "../schema/builder.js";
import { DEFAULT_TENANT } from "../tenants/tenants.js";
import type { Results } from "../schema/result-types.js";
import type { EnabledApis } from "../recipes/override.js";
import type { AccountApis } from "./api.js";
import type { FactorEnums } from "../schema/enums.js";
import { unauthenticated } from "../schema/unauthenticated.js";
import type { SessionTokens } from "../sessions/service.js";
import type { UserRow } from "./users.js";
import type { LoginMethod as LoginMethodRow } from "../generated/prisma/client.js";

/**
 * Adds a field to User that only the signed-in user can read on their own record
 * (null elsewhere): the settings page's data in the same `me` query.
 */
function viewerField<T>(
  builder: Builder,
  User: SharedTypes["User"],
  name: string,
  /** `resolve` answers for the signed-in user (the field checks the record is theirs). */
  options: { type: any; description: string; resolve: (user: UserRow, ctx: import("../context.js").Context) => Promise<T> },
): void {
  builder.objectField(User, name, (t) =>
    t.field({
      type: options.type,
      nullable: true,
      description: `${options.description} Only on the signed-in user's own record (null otherwise).`,
      resolve: async (user, _, ctx) => ((await ctx.viewer({ cached: true }))?.user.id === user.id ? options.resolve(user, ctx) : null) as never,
    }),
  );
}

/**
 * A list only its owner reads, at two places: the root query `name` (a GraphQL
 * UNAUTHENTICATED error without a session) and the same field on `me`.
 */
export function viewerList<T>(
  builder: Builder,
  User: SharedTypes["User"],
  name: string,
  options: { type: any; description: string; list: (ctx: import("../context.js").Context) => Promise<T[] | null> },
): void {
  viewerField(builder, User, name, { type: [options.type], description: options.description, resolve: (_, ctx) => options.list(ctx) });
  builder.queryField(name, (t) =>
    t.field({
      type: [options.type],
      description: `${options.description} (The signed-in user's.)`,
      resolve: async (_, __, ctx) => ((await options.list(ctx)) ?? Promise.reject(unauthenticated())) as never,
    }),
  );
}

export interface SharedTypes {
  User: ReturnType<typeof defineUser>;
  Session: ReturnType<typeof defineSession>;
  SignUpOptions: ReturnType<typeof defineSignUpOptions>;
  /** The `user` and `session` fields of every sign-in's OK type. */
  signedIn<T extends { user: UserRow; session: SessionTokens & { user?: UserRow } }>(
    t: PothosSchemaTypes.ObjectFieldBuilder<Types, T>,
  ): { user: PothosSchemaTypes.FieldRef<Types, UserRow>; session: PothosSchemaTypes.FieldRef<Types, SessionTokens> };
}

function defineSignUpOptions(builder: Builder) {
  return builder.inputType("SignUpOptions", {
    description: "Profile and roles of a new user.",
    fields: (t) => ({
      allowedRoles: t.stringList({ required: false, description: "Subset of the configured roles (default: all of them)." }),
      defaultRole: t.string({ required: false }),
      displayName: t.string({ required: false }),
      locale: t.string({ required: false, description: "BCP 47 language tag, e.g. en or pt-BR." }),
      metadata: t.field({ type: "JSON", required: false, description: "A JSON object kept with the user." }),
      redirectTo: t.string({ required: false, description: "Allow-listed page the emailed link opens." }),
    }),
  });
}

function defineUser(builder: Builder, enums: FactorEnums) {
  const ThirdPartyIdentity = builder.objectRef<{ id: string; userId: string }>("ThirdPartyIdentity").implement({
    fields: (t) => ({ id: t.exposeString("id"), userId: t.exposeString("userId") }),
  });
  const LoginMethod = builder.objectRef<LoginMethodRow>("LoginMethod").implement({
    description: "One way the user signs in.",
    fields: (t) => ({
      recipeId: t.exposeString("recipeId"),
      email: t.exposeString("email", { nullable: true }),
      phoneNumber: t.exposeString("phoneNumber", { nullable: true }),
      thirdParty: t.field({
        type: ThirdPartyIdentity,
        nullable: true,
        resolve: (method) => (method.thirdPartyId && method.thirdPartyUserId ? { id: method.thirdPartyId, userId: method.thirdPartyUserId } : null),
      }),
      verified: t.exposeBoolean("verified"),
      timeJoined: t.float({ description: "Milliseconds since the epoch.", resolve: (method) => method.createdAt.getTime() }),
    }),
  });
  // Public fields answer anyone who holds the user's id; every other field of a user
  // reached through `_entities` (a gateway's lookup) answers only its owner or an admin.
  // Synchronous unless the user was reached through `_entities`: a promise per field would cost every `me`.
  const guarded =
    <T>(read: (user: UserRow, ctx: Context) => T) =>
    (user: UserRow, _args: unknown, ctx: Context): T | Promise<Awaited<T>> => {
      if (!referenced.has(user)) return read(user, ctx);
      return mayReadPrivateFields(user, ctx).then(() => read(user, ctx) as Awaited<T>);
    };
  const User = builder.objectRef<UserRow>("User").implement({
    description: `An account. A federation entity keyed by \`id\`: looked up by id (\`_entities\`), only ${PUBLIC_USER_FIELDS.join(", ")} answer anyone; the other fields answer the user themselves or an admin (else a FORBIDDEN error).`,
    fields: (t) => ({
      id: t.exposeID("id"),
      displayName: t.exposeString("displayName"),
      avatarUrl: t.exposeString("avatarUrl"),
      tenantId: t.string({ resolve: guarded((user) => user.tenantId) }),
      email: t.string({ nullable: true, resolve: guarded((user) => user.email) }),
      phoneNumber: t.string({ nullable: true, resolve: guarded((user) => user.phoneNumber) }),
      emailVerified: t.boolean({ resolve: guarded((user) => user.emailVerified) }),
      phoneNumberVerified: t.boolean({ resolve: guarded((user) => user.phoneNumberVerified) }),
      locale: t.string({ resolve: guarded((user) => user.locale) }),
      defaultRole: t.string({ resolve: guarded((user) => user.defaultRole) }),
      roles: t.stringList({ resolve: guarded((user) => user.roles) }),
      metadata: t.field({ type: "JSON", resolve: guarded((user) => user.metadata) }),
      isAnonymous: t.boolean({ resolve: guarded((user) => user.isAnonymous) }),
      disabled: t.boolean({ resolve: guarded((user) => user.disabled) }),
      createdAt: t.field({ type: "DateTime", resolve: guarded((user) => user.createdAt) }),
      timeJoined: t.float({ description: "Milliseconds since the epoch.", resolve: guarded((user) => user.createdAt.getTime()) }),
      activeMfaType: t.field({
        type: enums.AuthFactor,
        nullable: true,
        description: 'The authenticator that turned multi-factor sign-in on for this user ("totp"), or null. Derived from the user\'s factors.',
        resolve: guarded((user, ctx) => ctx.deps.mfa.activeType(user)) as never,
      }),
      loginMethods: t.field({
        type: [LoginMethod],
        resolve: guarded((user, ctx) => ctx.deps.accounts.loginMethods(user.id)),
      }),
    }),
  });
  builder.asEntity(User, {
    key: builder.selection<{ id: string }>("id"),
    resolveReference: async ({ id }, ctx) => {
      if (typeof id !== "string" || !UUID.test(id)) return null as never;
      const user = await ctx.deps.accounts.byId(id);
      // Tenants stay apart: a signed-in caller sees their own tenant's users, others the default tenant's.
      const tenantId = (await ctx.viewer({ cached: true }))?.user.tenantId ?? DEFAULT_TENANT;
      if (!user || (user.tenantId !== tenantId && !(await isAdmin(ctx)))) return null as never;
      referenced.add(user);
      return user;
    },
  });
  return User;
}

/** The fields of a user anyone holding its id may read (federation lookups). */
export const PUBLIC_USER_FIELDS = ["id", "displayName", "avatarUrl"] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Users loaded by a gateway's lookup (`_entities`): their private fields need the owner or an admin. */
const referenced = new WeakSet<UserRow>();

async function mayReadPrivateFields(user: UserRow, ctx: Context): Promise<void> {
  if ((await ctx.viewer({ cached: true }))?.user.id === user.id || (await isAdmin(ctx))) return;
  throw new GraphQLError("This field is private to the user and administrators", { extensions: { code: "FORBIDDEN", http: { status: 200 } } });
}

function defineSession(builder: Builder, User: ReturnType<typeof defineUser>) {
  return builder.objectRef<SessionTokens & { user?: UserRow }>("Session").implement({
    description: "Tokens for a signed-in user: send accessToken as a Bearer token, keep refreshToken to renew it.",
    fields: (t) => ({
      accessToken: t.exposeString("accessToken"),
      accessTokenExpiresIn: t.exposeInt("accessTokenExpiresIn", { description: "Seconds until the access token expires." }),
      refreshToken: t.string({
        nullable: true,
        description: "Keep it to renew the session; null in cookie mode (SESSION_COOKIES=on), where it is an httpOnly cookie instead.",
        resolve: (session, _, ctx) => (ctx.deps.config.sessionCookies ? null : session.refreshToken),
      }),
      refreshTokenId: t.exposeID("refreshTokenId", { description: "The session's id (also the access token's sid claim)." }),
      user: t.field({
        type: User,
        resolve: async (session, _, ctx) => session.user ?? (await ctx.deps.accounts.byId(session.userId))!,
      }),
    }),
  });
}

export function registerUserTypes(builder: Builder, enums: FactorEnums): SharedTypes {
  const User = defineUser(builder, enums);
  const Session = defineSession(builder, User);
  builder.queryField("me", (t) =>
    t.field({
      type: User,
      nullable: true,
      description: "The signed-in user (from the Bearer token), or null.",
      resolve: (_, __, ctx) => {
        const now = ctx.cachedViewerNow(); // most `me` reads: answered without a promise
        return now !== undefined ? (now?.user ?? null) : ctx.viewer({ cached: true }).then((viewer) => viewer?.user ?? null);
      },
    }),
  );
  return {
    User,
    Session,
    SignUpOptions: defineSignUpOptions(builder),
    signedIn: (t) => ({
      user: t.field({ type: User, resolve: (value) => value.user }),
      session: t.field({ type: Session, resolve: (value) => value.session }),
    }),
  };
}

/** The account page: updateProfile and deleteAccount (accounts/api.ts). */
export function registerAccountSchema(results: Results, types: SharedTypes, apis: EnabledApis<AccountApis>): void {
  if (apis.updateProfile) {
    const api = apis.updateProfile;
    results.mutation("updateProfile", {
      ok: results.ok<{ user: UserRow }>("UpdateProfileOk", (t) => ({ user: t.field({ type: types.User, resolve: (value) => value.user }) })),
      errors: ["INVALID_INPUT_ERROR", "UNAUTHORISED"],
      description:
        'Sets the signed-in user\'s own profile fields; those left out stay as they are. displayName: at most 200 characters; avatarUrl: an http(s) URL ("" clears it); locale: a language tag like en or pt-BR (emails follow it); metadata: a JSON object of at most 8 KB, replacing the old one.',
      args: (arg) => ({
        displayName: arg.string({ required: false }),
        avatarUrl: arg.string({ required: false }),
        locale: arg.string({ required: false }),
        metadata: arg({ type: "JSON", required: false }),
      }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }
  if (apis.deleteAccount) {
    const api = apis.deleteAccount;
    results.mutation("deleteAccount", {
      ok: results.ok("DeleteAccountOk"),
      errors: ["ELEVATION_REQUIRED", "UNAUTHORISED", "FORBIDDEN_ANONYMOUS"],
      description:
        "Elevated: deletes the signed-in user's account. Every session, personal access token, pending ticket, passkey, TOTP device and provider token goes with it; the audit log keeps its events.",
      resolve: (_, ctx) => api({}, ctx),
    });
  }
}
