/**
 * The accounts core: the one owner of users, login methods, proven contacts and
 * profiles. Recipes and the admin API call it; nothing else writes User or
 * LoginMethod. Each operation is one transaction in the store, evicts the viewer
 * cache and writes its audit event here, so no caller can forget either.
 *
 * The linking rule (linking.ts) is applied in `signInProven`, the one path of
 * every login method that proves an address (passwordless codes and links,
 * verified provider emails); sign-ups that prove nothing go through `signUp`,
 * which never joins an existing account. Recovery (`recover`) is the password
 * reset's: it proves the address and leaves nobody else in.
 */
import type { AuditEventType, AuditLog } from "../audit.js";
import { addSeconds, type Clock } from "../clock.js";
import type { RequestMeta } from "../sessions/service.js";
import type { ViewerCache } from "../sessions/viewer-cache.js";
import type { LoginMethod } from "../generated/prisma/client.js";
import { linkDecision } from "./linking.js";
import type { AccountStore, NewAccount, NewLoginMethod, UserChanges } from "./store.js";
import { normaliseEmail, type UserRow, type UserStore } from "./users.js";

export type Contact = { email: string; phoneNumber?: undefined } | { phoneNumber: string; email?: undefined };

/** For writes no request caused (housekeeping, tests). */
export const NO_REQUEST: RequestMeta = { ip: "", userAgent: "" };

export interface Accounts extends UserStore {
  loginMethods(userId: string, recipeId?: string): Promise<LoginMethod[]>;
  /** A sign-up whose login method does not prove the address: never joins an existing account. */
  signUp(
    account: NewAccount,
    meta: RequestMeta,
    auditType?: AuditEventType,
  ): Promise<{ status: "OK"; user: UserRow } | { status: "EMAIL_ALREADY_EXISTS_ERROR" }>;
  /**
   * A sign-in (or sign-up) by a login method that proves `contact`, under the
   * linking rule: the contact's account joined as it is when its address was
   * proven, started clean when it was not, or created (by `newAccount`; null
   * when sign-up is off).
   */
  signInProven(
    input: { tenantId: string; contact: Contact; method: NewLoginMethod; newAccount: (() => NewAccount) | null },
    meta: RequestMeta,
  ): Promise<{ status: "OK"; user: UserRow; created: boolean; startedClean: boolean } | { status: "SIGN_UP_NOT_ALLOWED" }>;
  /** Adds a login method to a signed-in user (a provider identity, a passkey, a password). */
  addLoginMethod(user: UserRow, method: NewLoginMethod): Promise<"OK" | "TAKEN">;
  removeLoginMethod(user: UserRow, recipeId: string, identity?: { thirdPartyId: string; thirdPartyUserId: string }): Promise<number>;
  /**
   * Adds an address the signed-in owner just proved by code (passwordless
   * linking) to their account, with its passwordless login method: as the
   * account's email or phone when it has none of that kind (or proves the one
   * it has). TAKEN: another account's; OTHER: the account has another address
   * of that kind (changing it is changeEmail's job).
   */
  addProvenAddress(user: UserRow, address: { email: string } | { phoneNumber: string }, meta: RequestMeta): Promise<UserRow | "TAKEN" | "OTHER">;
  /** Unlinks a provider identity, never the account's last way to sign in (audited). */
  unlinkIdentity(user: UserRow, identity: { thirdPartyId: string; thirdPartyUserId: string }, meta: RequestMeta): Promise<"OK" | "UNKNOWN" | "LAST">;
  /** A verification link the account asked for: the account's address is proven as the account stands. Null when the address changed since. */
  verifyEmail(user: UserRow, email: string, meta: RequestMeta): Promise<UserRow | null>;
  /** A confirmed email change: the new address, proven by its link, replaces the old one. */
  changeEmail(
    user: UserRow,
    email: string,
    meta: RequestMeta,
  ): Promise<{ status: "OK"; user: UserRow; previous: string | null } | { status: "EMAIL_ALREADY_EXISTS_ERROR" }>;
  setPassword(user: UserRow, passwordHash: string, meta: RequestMeta): Promise<void>;
  /** An anonymous user becomes a permanent account (same id and data) with an address and a login method. */
  makePermanent(
    user: UserRow,
    changes: UserChanges & { email: string },
    method: NewLoginMethod,
    meta: RequestMeta,
  ): Promise<"OK" | "EMAIL_ALREADY_EXISTS_ERROR" | "USER_NOT_ANONYMOUS_ERROR">;
  /**
   * Recovery through the address (a password-reset link): proves the address,
   * ends every session and PAT, spends every ticket, clears the lockout, removes
   * credentials made before the address was proven (all of them when it never
   * was), and sets the new password when given. `byAdmin`: an admin's password,
   * which proves nothing about the address (an unproven one stays unproven).
   */
  recover(user: UserRow, input: { passwordHash?: string | null; byAdmin?: boolean }, meta: RequestMeta): Promise<UserRow>;
  /** Profile, roles, disabled and other columns an admin or the user changes; the audit type says who. */
  update(user: UserRow, changes: UserChanges, meta: RequestMeta, audit?: { type: AuditEventType; data?: Record<string, unknown> }): Promise<UserRow | "TAKEN">;
  delete(user: UserRow, meta: RequestMeta, auditType: AuditEventType): Promise<boolean>;
  /** Housekeeping: anonymous users older than `retentionSeconds` without a live session. */
  deleteStaleAnonymous(retentionSeconds: number): Promise<number>;
}

export interface AccountsOptions {
  users: UserStore;
  store: AccountStore;
  viewerCache: ViewerCache;
  audit: AuditLog;
  clock: Clock;
}

export function createAccounts({ users, store, viewerCache, audit, clock }: AccountsOptions): Accounts {
  /** Every write ends here: cached viewers of the user are stale. */
  const changed = <T>(userId: string, value: T): T => {
    viewerCache.forgetUser(userId);
    return value;
  };

  const accounts: Accounts = {
    byId: (id, tenantId) => users.byId(id, tenantId),
    byEmail: (tenantId, email) => users.byEmail(tenantId, email),
    byPhone: (tenantId, phoneNumber) => users.byPhone(tenantId, phoneNumber),
    identityOwner: (tenantId, providerId, subject) => users.identityOwner(tenantId, providerId, subject),
    page: (where, after, take) => users.page(where, after, take),
    count: (where) => users.count(where),
    loginMethods: (userId, recipeId) => store.loginMethods(userId, recipeId),

    async signUp(account, meta, auditType = "user.signed_up") {
      const created = await store.create({ ...account, email: account.email == null ? account.email : normaliseEmail(account.email) });
      if (created === "TAKEN") return { status: "EMAIL_ALREADY_EXISTS_ERROR" };
      await audit.recordFor(meta, auditType, created, { method: account.loginMethod?.recipeId ?? (account.isAnonymous ? "anonymous" : "admin") });
      return { status: "OK", user: created };
    },

    async signInProven({ tenantId, contact, method, newAccount }, meta) {
      const proven = contact.email !== undefined ? "email" : "phoneNumber";
      const address = contact.email !== undefined ? normaliseEmail(contact.email) : contact.phoneNumber;
      // A parallel sign-up may win the address between the lookup and the write: look again.
      for (let attempt = 0; attempt < 3; attempt++) {
        const existing = proven === "email" ? await users.byEmail(tenantId, address) : await users.byPhone(tenantId, address);
        const addressProven = existing ? (proven === "email" ? existing.emailVerified : existing.phoneNumberVerified) : false;
        switch (linkDecision(existing && { addressProven }, true)) {
          case "CREATE": {
            if (!newAccount) return { status: "SIGN_UP_NOT_ALLOWED" };
            const account = newAccount();
            const created = await store.create({
              ...account,
              ...(proven === "email" ? { email: address, emailVerified: true } : { phoneNumber: address, phoneNumberVerified: true }),
              loginMethod: method,
            });
            if (created === "TAKEN") continue;
            await audit.recordFor(meta, "user.signed_up", created, { method: method.recipeId });
            return { status: "OK", user: created, created: true, startedClean: false };
          }
          case "JOIN": {
            const user = existing!;
            if ((await store.addLoginMethod(user, method)) === "TAKEN") continue;
            if (proven === "email") await store.verifyLoginMethods(user.id, address);
            return changed(user.id, { status: "OK", user, created: false, startedClean: false });
          }
          case "START_CLEAN": {
            const user = await store.startClean(existing!, { keep: method, proven, at: clock.now() });
            await audit.recordFor(meta, "account.started_clean", user, { method: method.recipeId, proven });
            return changed(user.id, { status: "OK", user, created: false, startedClean: true });
          }
          case "REFUSE":
            throw new Error("a method that proves its address is never refused");
        }
      }
      return { status: "SIGN_UP_NOT_ALLOWED" };
    },

    async addLoginMethod(user, method) {
      return changed(user.id, await store.addLoginMethod(user, method));
    },

    async removeLoginMethod(user, recipeId, identity) {
      return changed(user.id, await store.removeLoginMethod(user.id, recipeId, identity));
    },

    async addProvenAddress(user, address, meta) {
      const now = clock.now();
      const changes =
        "email" in address
          ? user.email && user.email !== address.email
            ? null
            : { email: address.email, emailVerified: true, emailVerifiedAt: user.emailVerified && user.email === address.email ? user.emailVerifiedAt : now }
          : user.phoneNumber && user.phoneNumber !== address.phoneNumber
            ? null
            : { phoneNumber: address.phoneNumber, phoneNumberVerified: true };
      if (!changes) return "OTHER";
      const updated = await store.update(user.id, changes);
      if (updated === "TAKEN") return "TAKEN";
      if (updated === "UNKNOWN") return user;
      const method = { recipeId: "passwordless", ...address, verified: true };
      if ((await store.addLoginMethod(updated, method)) === "TAKEN") return "TAKEN";
      if ("email" in address) await store.verifyLoginMethods(user.id, address.email);
      await audit.recordFor(meta, "email" in address ? "email.verified" : "phone.verified", updated, { linked: "passwordless" });
      return changed(user.id, updated);
    },

    async unlinkIdentity(user, identity, meta) {
      const outcome = await store.removeIdentityUnlessLast(user.id, identity);
      if (outcome === "OK") {
        await audit.recordFor(meta, "identity.unlinked", user, { providerId: identity.thirdPartyId });
        changed(user.id, true);
      }
      return outcome;
    },

    async verifyEmail(user, email, meta) {
      const address = normaliseEmail(email);
      if (user.email !== address) return null;
      const updated = await store.update(user.id, { emailVerified: true, emailVerifiedAt: user.emailVerified ? user.emailVerifiedAt : clock.now() });
      if (typeof updated === "string") return null;
      await store.verifyLoginMethods(user.id, address);
      await audit.recordFor(meta, "email.verified", updated);
      return changed(user.id, updated);
    },

    async changeEmail(user, email, meta) {
      const address = normaliseEmail(email);
      // The login methods that sign in by the account's address follow it, in the same transaction.
      const updated = await store.moveAddress(user, address, clock.now());
      if (updated === "TAKEN") return { status: "EMAIL_ALREADY_EXISTS_ERROR" };
      await audit.recordFor(meta, "email.changed", updated, { from: user.email, to: address });
      return changed(user.id, { status: "OK", user: updated, previous: user.email });
    },

    async setPassword(user, passwordHash, meta) {
      await store.setPassword(user, passwordHash, clock.now());
      await audit.recordFor(meta, "password.changed", user);
      changed(user.id, undefined);
    },

    async makePermanent(user, changes, method, meta) {
      const outcome = await store.makePermanent(user, { ...changes, email: normaliseEmail(changes.email), isAnonymous: false }, method);
      if (outcome === "TAKEN") return "EMAIL_ALREADY_EXISTS_ERROR";
      if (outcome === "UNKNOWN") return "USER_NOT_ANONYMOUS_ERROR"; // a parallel request made it permanent first
      await audit.recordFor(meta, "user.signed_up", outcome, { method: method.recipeId, deanonymized: true });
      return changed(user.id, "OK");
    },

    async recover(user, { passwordHash, byAdmin = false }, meta) {
      const at = clock.now();
      // An admin's password proves nothing about the address: the account stays as proven as it was.
      if (byAdmin && !user.emailVerified) {
        const recovered = await store.recover(user, { passwordHash, at });
        if (passwordHash) await store.addLoginMethod(recovered, { recipeId: "emailpassword", email: recovered.email, verified: false });
        await audit.recordFor(meta, "password.reset", recovered, { byAdmin });
        return changed(user.id, recovered);
      }
      const recovered = user.emailVerified
        ? await store.recover(user, { passwordHash, at })
        : await store.startClean(user, {
            keep: passwordHash ? { recipeId: "emailpassword", email: user.email, verified: true } : null,
            passwordHash,
            proven: "email",
            at,
          });
      if (passwordHash) await store.addLoginMethod(recovered, { recipeId: "emailpassword", email: recovered.email, verified: true });
      await store.verifyLoginMethods(user.id, recovered.email!);
      await audit.recordFor(meta, "password.reset", recovered, { startedClean: !user.emailVerified });
      return changed(user.id, recovered);
    },

    async update(user, changes, meta, event) {
      const updated = await store.update(user.id, changes);
      if (updated === "TAKEN") return "TAKEN";
      if (updated === "UNKNOWN") return user;
      if (event) await audit.recordFor(meta, event.type, updated, event.data);
      return changed(user.id, updated);
    },

    deleteStaleAnonymous: (retentionSeconds) => store.deleteStaleAnonymous(addSeconds(clock.now(), -retentionSeconds), clock.now()),

    async delete(user, meta, auditType) {
      const existed = await store.delete(user.id);
      if (existed) await audit.recordFor(meta, auditType, user, { email: user.email });
      return changed(user.id, existed);
    },
  };
  return accounts;
}
