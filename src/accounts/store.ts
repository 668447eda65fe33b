/**
 * The account store: the only code that writes User and LoginMethod rows, and
 * the account-wide clean-ups (starting clean, recovery) that must happen in one
 * transaction with them. Reads live in users.ts. The accounts core (accounts.ts)
 * decides; this module only writes, each operation one transaction.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import { isUniqueViolation } from "../db/errors.js";
import type { Prisma, LoginMethod, PrismaClient } from "../generated/prisma/client.js";
import { accountAttemptKey } from "../security/attempt-limiter.js";
import { secondFactorAttemptKey } from "../mfa/limiter.js";
import { USER_COLUMNS, type UserRow } from "./users.js";

export interface NewLoginMethod {
  recipeId: string;
  email?: string | null;
  phoneNumber?: string | null;
  thirdPartyId?: string | null;
  thirdPartyUserId?: string | null;
  verified: boolean;
}

/** A WebAuthn credential stored with the user it signs up (one transaction: never a user without its key). */
export interface NewWebauthnCredential {
  credentialId: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  deviceType: string;
  backedUp: boolean;
  nickname: string;
}

export interface ProfileColumns {
  roles: string[];
  defaultRole: string;
  displayName: string;
  avatarUrl?: string;
  locale: string;
  metadata: Record<string, unknown>;
}

export interface NewAccount {
  /** Fixed in advance when a credential already carries it (a passkey's user handle). */
  id?: string;
  tenantId: string;
  email?: string | null;
  emailVerified?: boolean;
  phoneNumber?: string | null;
  phoneNumberVerified?: boolean;
  passwordHash?: string | null;
  isAnonymous?: boolean;
  profile: ProfileColumns;
  loginMethod?: NewLoginMethod;
  webauthnCredential?: NewWebauthnCredential;
}

/** The User columns the core changes after sign-up. */
export type UserChanges = Partial<
  Pick<
    UserRow,
    | "email"
    | "emailVerified"
    | "emailVerifiedAt"
    | "phoneNumber"
    | "phoneNumberVerified"
    | "passwordHash"
    | "isAnonymous"
    | "roles"
    | "defaultRole"
    | "displayName"
    | "avatarUrl"
    | "locale"
    | "disabled"
  > & { metadata: Record<string, unknown> }
>;

export interface AccountStore {
  create(account: NewAccount): Promise<UserRow | "TAKEN">;
  update(userId: string, changes: UserChanges): Promise<UserRow | "UNKNOWN" | "TAKEN">;
  /** Makes an anonymous user permanent with its first login method; UNKNOWN when it is no longer anonymous. */
  makePermanent(user: UserRow, changes: UserChanges, method: NewLoginMethod): Promise<UserRow | "UNKNOWN" | "TAKEN">;
  loginMethods(userId: string, recipeId?: string): Promise<LoginMethod[]>;
  /** Adds a login method; one per recipe, except provider identities (one per identity). TAKEN: the identity is another user's. */
  addLoginMethod(user: { id: string; tenantId: string }, method: NewLoginMethod): Promise<"OK" | "TAKEN">;
  /** Removes the user's login methods of a recipe (a provider identity when `thirdPartyId` is given); webauthn only once no key is left. */
  removeLoginMethod(userId: string, recipeId: string, identity?: { thirdPartyId: string; thirdPartyUserId: string }): Promise<number>;
  /**
   * Removes a provider identity (and the provider's tokens) unless it is the
   * account's last way to sign in. The user's row is locked meanwhile, so two
   * unlinks at once cannot both leave the other as the last.
   */
  removeIdentityUnlessLast(userId: string, identity: { thirdPartyId: string; thirdPartyUserId: string }): Promise<"OK" | "UNKNOWN" | "LAST">;
  /** Moves the account, and its login methods that sign in by its address (not provider identities), to a proven address. */
  moveAddress(user: UserRow, to: string, at: Date): Promise<UserRow | "TAKEN">;
  /** Sets the password and, unless it has one, the email/password login method. */
  setPassword(user: UserRow, passwordHash: string, at: Date): Promise<void>;
  /** Marks the user's login methods for `email` verified (the address was proven). */
  verifyLoginMethods(userId: string, email: string): Promise<void>;
  /**
   * Starts the account clean for the owner who just proved its address: every
   * session revoked; PATs, tickets, passkeys, TOTP devices, recovery codes,
   * provider tokens, password and login methods removed; `keep` (the proof's
   * own method) added; the address marked proven; lockouts cleared.
   */
  startClean(user: UserRow, input: { keep: NewLoginMethod | null; passwordHash?: string | null; proven: "email" | "phoneNumber"; at: Date }): Promise<UserRow>;
  /**
   * Recovery of an account whose address was proven: every session revoked;
   * PATs and tickets removed; credentials made before the address was proven
   * removed; lockouts cleared; and the new password set, when given.
   */
  recover(user: UserRow, input: { passwordHash?: string | null; at: Date }): Promise<UserRow>;
  delete(userId: string): Promise<boolean>;
  /** Anonymous users created before `createdBefore` with no session live at `now`. */
  deleteStaleAnonymous(createdBefore: Date, now: Date): Promise<number>;
}

/** The row of a WebAuthn credential (its user set by the caller or by a nested create). */
export const webauthnCredentialRow = (tenantId: string, key: NewWebauthnCredential, at: Date) => ({
  id: randomUUID(),
  tenantId,
  credentialId: key.credentialId,
  publicKey: new Uint8Array(key.publicKey),
  counter: BigInt(key.counter),
  transports: key.transports,
  deviceType: key.deviceType,
  backedUp: key.backedUp,
  nickname: key.nickname,
  createdAt: at,
});

const profileData = (profile: ProfileColumns) => ({
  roles: profile.roles,
  defaultRole: profile.defaultRole,
  displayName: profile.displayName,
  avatarUrl: profile.avatarUrl ?? "",
  locale: profile.locale,
  metadata: profile.metadata as object,
});

export function createAccountStore(prisma: PrismaClient, clock: Clock): AccountStore {
  const methodRow = (userId: string, tenantId: string, method: NewLoginMethod, at: Date) => ({ ...nestedMethodRow(tenantId, method, at), userId });
  const nestedMethodRow = (tenantId: string, method: NewLoginMethod, at: Date) => ({
    id: randomUUID(),
    tenantId,
    recipeId: method.recipeId,
    email: method.email ?? null,
    phoneNumber: method.phoneNumber ?? null,
    thirdPartyId: method.thirdPartyId ?? null,
    thirdPartyUserId: method.thirdPartyUserId ?? null,
    verified: method.verified,
    createdAt: at,
  });

  /** Inserts a login method unless the user has one of its recipe already (one per recipe, bar provider identities). */
  const addOnce = (row: ReturnType<typeof methodRow>) => prisma.$executeRaw`
    INSERT INTO "LoginMethod" (id, "userId", "tenantId", "recipeId", email, "phoneNumber", verified, "createdAt")
    SELECT ${row.id}::uuid, ${row.userId}::uuid, ${row.tenantId}, ${row.recipeId}, ${row.email}, ${row.phoneNumber}, ${row.verified}, ${row.createdAt}
    WHERE NOT EXISTS (SELECT 1 FROM "LoginMethod" WHERE "userId" = ${row.userId}::uuid AND "recipeId" = ${row.recipeId})`;

  /** Drops the user's webauthn login method once no key of theirs is left. */
  const dropKeylessWebauthnMethod = (userId: string) => prisma.$executeRaw`
    DELETE FROM "LoginMethod" WHERE "userId" = ${userId}::uuid AND "recipeId" = 'webauthn'
      AND NOT EXISTS (SELECT 1 FROM "WebauthnCredential" WHERE "userId" = ${userId}::uuid)`;

  /** Every counter that can lock this account out (sign-in attempts by address, second factors by user). */
  const lockoutKeys = (user: UserRow) =>
    [user.email, user.phoneNumber]
      .filter((contact): contact is string => Boolean(contact))
      .map((contact) => accountAttemptKey(user.tenantId, contact))
      .concat(secondFactorAttemptKey(user.id));

  /** The statements that end what a session or token holder could do: one batch of a recovery's transaction. */
  const endAccess = (user: UserRow, reason: string, at: Date) => [
    prisma.session.updateMany({ where: { userId: user.id, revokedAt: null }, data: { revokedAt: at, revokedReason: reason } }),
    prisma.personalAccessToken.deleteMany({ where: { userId: user.id } }),
    prisma.ticket.deleteMany({ where: { userId: user.id } }),
    prisma.attemptCounter.deleteMany({ where: { key: { in: lockoutKeys(user) } } }),
  ];

  const store: AccountStore = {
    async create(account) {
      const now = clock.now();
      const id = account.id ?? randomUUID();
      const { loginMethod, webauthnCredential: key } = account;
      try {
        // One statement tree, one transaction: the user, its first login method and its key.
        return await prisma.user.create({
          data: {
            id,
            tenantId: account.tenantId,
            email: account.email ?? null,
            emailVerified: account.emailVerified ?? false,
            emailVerifiedAt: account.emailVerified ? now : null,
            phoneNumber: account.phoneNumber ?? null,
            phoneNumberVerified: account.phoneNumberVerified ?? false,
            passwordHash: account.passwordHash ?? null,
            isAnonymous: account.isAnonymous ?? false,
            ...profileData(account.profile),
            createdAt: now,
            ...(loginMethod ? { loginMethods: { create: nestedMethodRow(account.tenantId, loginMethod, now) } } : {}),
            ...(key ? { webauthnCredentials: { create: webauthnCredentialRow(account.tenantId, key, now) } } : {}),
          },
        });
      } catch (error) {
        if (isUniqueViolation(error)) return "TAKEN"; // the address, phone, identity or key won by a parallel sign-up
        throw error;
      }
    },

    async update(userId, changes) {
      try {
        const rows = await prisma.user.updateManyAndReturn({ where: { id: userId }, data: changes as Prisma.UserUpdateManyMutationInput });
        return rows[0] ?? "UNKNOWN";
      } catch (error) {
        if (isUniqueViolation(error)) return "TAKEN";
        throw error;
      }
    },

    async makePermanent(user, changes, method) {
      try {
        return await prisma.user.update({
          where: { id: user.id, isAnonymous: true },
          data: { ...(changes as Prisma.UserUpdateInput), loginMethods: { create: nestedMethodRow(user.tenantId, method, clock.now()) } },
        });
      } catch (error) {
        if (isUniqueViolation(error)) return "TAKEN";
        if ((error as { code?: string }).code === "P2025") return "UNKNOWN";
        throw error;
      }
    },

    loginMethods: (userId, recipeId) => prisma.loginMethod.findMany({ where: { userId, ...(recipeId ? { recipeId } : {}) }, orderBy: { createdAt: "asc" } }),

    async addLoginMethod(user, method) {
      const row = methodRow(user.id, user.tenantId, method, clock.now());
      if (method.thirdPartyId) {
        try {
          await prisma.loginMethod.create({ data: row });
          return "OK";
        } catch (error) {
          if (isUniqueViolation(error)) return "TAKEN";
          throw error;
        }
      }
      await addOnce(row);
      return "OK";
    },

    async removeLoginMethod(userId, recipeId, identity) {
      if (recipeId === "webauthn") return dropKeylessWebauthnMethod(userId);
      const { count } = await prisma.loginMethod.deleteMany({ where: { userId, recipeId, ...(identity ?? {}) } });
      return count;
    },

    removeIdentityUnlessLast: (userId, identity) =>
      prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT id FROM "User" WHERE id = ${userId}::uuid FOR UPDATE`;
        const methods = await tx.loginMethod.findMany({ where: { userId }, select: { recipeId: true, thirdPartyId: true, thirdPartyUserId: true } });
        const found = methods.some(
          (method) =>
            method.recipeId === "thirdparty" && method.thirdPartyId === identity.thirdPartyId && method.thirdPartyUserId === identity.thirdPartyUserId,
        );
        if (!found) return "UNKNOWN" as const;
        if (methods.length <= 1) return "LAST" as const;
        await tx.loginMethod.deleteMany({ where: { userId, recipeId: "thirdparty", ...identity } });
        const others = methods.filter((method) => method.thirdPartyId === identity.thirdPartyId).length - 1;
        if (others === 0) await tx.providerToken.deleteMany({ where: { userId, providerId: identity.thirdPartyId } });
        return "OK" as const;
      }),

    async moveAddress(user, to, at) {
      try {
        const [updated] = await prisma.$transaction([
          prisma.user.update({ where: { id: user.id }, data: { email: to, emailVerified: true, emailVerifiedAt: at } }),
          prisma.loginMethod.updateMany({ where: { userId: user.id, email: user.email ?? "", thirdPartyId: null }, data: { email: to, verified: true } }),
        ]);
        return updated;
      } catch (error) {
        if (isUniqueViolation(error)) return "TAKEN";
        throw error;
      }
    },

    async setPassword(user, passwordHash, at) {
      const row = methodRow(user.id, user.tenantId, { recipeId: "emailpassword", email: user.email, verified: user.emailVerified }, at);
      await prisma.$transaction([prisma.user.update({ where: { id: user.id }, data: { passwordHash } }), addOnce(row)]);
    },

    async verifyLoginMethods(userId, email) {
      await prisma.loginMethod.updateMany({ where: { userId, email }, data: { verified: true } });
    },

    async startClean(user, { keep, passwordHash, proven, at }) {
      const where = { userId: user.id };
      const batch: Array<Prisma.PrismaPromise<unknown>> = [
        ...endAccess(user, "account_started_clean", at),
        prisma.webauthnCredential.deleteMany({ where }),
        prisma.totpDevice.deleteMany({ where }),
        prisma.recoveryCode.deleteMany({ where }),
        prisma.providerToken.deleteMany({ where }),
        prisma.loginMethod.deleteMany({ where }),
        ...(keep ? [prisma.loginMethod.create({ data: methodRow(user.id, user.tenantId, keep, at) })] : []),
        prisma.user.update({
          where: { id: user.id },
          data: {
            passwordHash: passwordHash ?? null,
            isAnonymous: false,
            ...(proven === "email" ? { emailVerified: true, emailVerifiedAt: at } : { phoneNumberVerified: true }),
          },
        }),
      ];
      return (await prisma.$transaction(batch)).at(-1) as UserRow;
    },

    async recover(user, { passwordHash, at }) {
      // Made before the address was proven (or at any time, for an address never proven): not the owner's.
      const before = { userId: user.id, createdAt: { lt: user.emailVerifiedAt ?? at } };
      const batch: Array<Prisma.PrismaPromise<unknown>> = [
        ...endAccess(user, "password_reset", at),
        prisma.webauthnCredential.deleteMany({ where: before }),
        prisma.totpDevice.deleteMany({ where: before }),
        prisma.loginMethod.deleteMany({ where: { ...before, recipeId: { notIn: ["emailpassword", "passwordless"] } } }),
        prisma.providerToken.deleteMany({ where: { userId: user.id, updatedAt: { lt: user.emailVerifiedAt ?? at } } }),
        dropKeylessWebauthnMethod(user.id),
        prisma.$executeRaw`
          DELETE FROM "RecoveryCode" WHERE "userId" = ${user.id}::uuid
            AND NOT EXISTS (SELECT 1 FROM "TotpDevice" WHERE "userId" = ${user.id}::uuid AND verified)`,
        ...(passwordHash ? [prisma.user.update({ where: { id: user.id }, data: { passwordHash } })] : []),
      ];
      await prisma.$transaction(batch);
      const rows = await prisma.$queryRaw<UserRow[]>`SELECT ${USER_COLUMNS} FROM "User" u WHERE id = ${user.id}::uuid`;
      return rows[0]!;
    },

    async deleteStaleAnonymous(createdBefore, now) {
      const { count } = await prisma.user.deleteMany({
        where: { isAnonymous: true, createdAt: { lte: createdBefore }, sessions: { none: { revokedAt: null, expiresAt: { gt: now } } } },
      });
      return count;
    },

    async delete(userId) {
      const { count } = await prisma.user.deleteMany({ where: { id: userId } });
      return count > 0;
    },
  };
  return store;
}
