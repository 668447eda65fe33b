/**
 * Email/password functions with the seed's signatures and statuses (SuperTokens
 * emailpassword RecipeInterface). They touch the database only; flows (sessions,
 * lockouts, emails) live in api.ts. The whole object is overridable.
 */
import type { Deps } from "../../deps.js";
import { NO_REQUEST } from "../../accounts/accounts.js";
import { normaliseEmail, type UserRow } from "../../accounts/users.js";
import { profileColumns, type NewUserProfile } from "../../accounts/sign-up-options.js";
import type { RequestMeta } from "../../sessions/service.js";

export const RECIPE_ID = "emailpassword";

export interface EmailPasswordFunctions {
  signUp(input: {
    email: string;
    password: string;
    tenantId: string;
    profile?: NewUserProfile;
    meta?: RequestMeta;
  }): Promise<{ status: "OK"; user: UserRow } | { status: "EMAIL_ALREADY_EXISTS_ERROR" }>;
  /** `user`, when given, is the account with this email, looked up already (undefined: look it up). */
  signIn(input: {
    email: string;
    password: string;
    tenantId: string;
    user?: UserRow | null;
  }): Promise<{ status: "OK"; user: UserRow } | { status: "WRONG_CREDENTIALS_ERROR" }>;
  getUserById(input: { userId: string; tenantId?: string }): Promise<UserRow | undefined>;
  getUserByEmail(input: { email: string; tenantId: string }): Promise<UserRow | undefined>;
  createResetPasswordToken(input: {
    userId: string;
    email: string;
    tenantId: string;
  }): Promise<{ status: "OK"; token: string } | { status: "UNKNOWN_USER_ID_ERROR" }>;
  /** Spends the reset ticket, recovers the account (API.md "Accounts": recovery) and sets the new password. */
  resetPasswordUsingToken(input: {
    token: string;
    newPassword: string;
    tenantId: string;
    meta?: RequestMeta;
  }): Promise<{ status: "OK"; userId: string; email: string } | { status: "RESET_PASSWORD_INVALID_TOKEN_ERROR" }>;
  updateEmailOrPassword(input: {
    userId: string;
    email?: string;
    password?: string;
    emailVerified?: boolean;
    tenantId?: string;
    meta?: RequestMeta;
  }): Promise<{ status: "OK" } | { status: "UNKNOWN_USER_ID_ERROR" } | { status: "EMAIL_ALREADY_EXISTS_ERROR" }>;
  createEmailVerificationToken(input: {
    userId: string;
    email: string;
    tenantId: string;
    redirectTo?: string | null;
  }): Promise<{ status: "OK"; token: string } | { status: "EMAIL_ALREADY_VERIFIED_ERROR" }>;
  /** Spends an emailVerify or emailConfirmChange ticket; the latter moves the account to the new address. */
  verifyEmailUsingToken(input: { token: string; tenantId: string; meta?: RequestMeta }): Promise<
    /** `previousEmail`: the address an email change moved the account away from. */
    | { status: "OK"; user: UserRow; previousEmail?: string | null }
    | { status: "EMAIL_VERIFICATION_INVALID_TOKEN_ERROR" }
    | { status: "EMAIL_ALREADY_EXISTS_ERROR" }
  >;
}

/**
 * Spends a password-reset ticket: its user, or null when the ticket is unknown,
 * expired or spent, or the account's email is no longer the one it was mailed to.
 */
export async function spendResetTicket(deps: Deps, token: string, tenantId: string): Promise<UserRow | null> {
  const ticket = await deps.tickets.consume(token, ["passwordReset"], tenantId);
  const user = ticket && (await deps.accounts.byId(ticket.userId, tenantId));
  return user && ticket.email && user.email === ticket.email ? user : null;
}

/**
 * `self` answers the final, overridden functions: the recipe calls itself through
 * it, so an override of updateEmailOrPassword is also what verifyEmailUsingToken
 * and resetPasswordUsingToken use.
 */
export function createEmailPasswordFunctions(deps: Deps, self: () => EmailPasswordFunctions): EmailPasswordFunctions {
  const { hasher, tickets, config, accounts } = deps;

  return {
    async signUp({ email, password, tenantId, profile, meta = NO_REQUEST }) {
      const normalised = normaliseEmail(email);
      if (await accounts.byEmail(tenantId, normalised)) return { status: "EMAIL_ALREADY_EXISTS_ERROR" };
      const passwordHash = await hasher.hash(password);
      return accounts.signUp(
        {
          tenantId,
          email: normalised,
          passwordHash,
          profile: profileColumns(config, profile),
          loginMethod: { recipeId: RECIPE_ID, email: normalised, verified: false },
        },
        meta,
      );
    },

    async signIn({ email, password, tenantId, user: known }) {
      const user = known !== undefined ? known : await accounts.byEmail(tenantId, email);
      if (!user?.passwordHash) {
        await hasher.burn(password); // same time as a wrong password: no enumeration by timing
        return { status: "WRONG_CREDENTIALS_ERROR" };
      }
      return (await hasher.verify(user.passwordHash, password)) ? { status: "OK", user } : { status: "WRONG_CREDENTIALS_ERROR" };
    },

    getUserById: async ({ userId, tenantId }) => (await accounts.byId(userId, tenantId)) ?? undefined,
    getUserByEmail: async ({ email, tenantId }) => (await accounts.byEmail(tenantId, email)) ?? undefined,

    async createResetPasswordToken({ userId, email, tenantId }) {
      const user = await accounts.byId(userId, tenantId);
      if (!user) return { status: "UNKNOWN_USER_ID_ERROR" };
      const token = await tickets.issue({
        type: "passwordReset",
        tenantId,
        userId,
        email: normaliseEmail(email),
        ttlSeconds: config.passwordResetTicketTtlSeconds,
      });
      return { status: "OK", token };
    },

    async resetPasswordUsingToken({ token, newPassword, tenantId, meta = NO_REQUEST }) {
      const user = await spendResetTicket(deps, token, tenantId);
      if (!user?.email) return { status: "RESET_PASSWORD_INVALID_TOKEN_ERROR" };
      // Following the emailed link proves the address: recovery leaves nobody else in.
      const recovered = await accounts.recover(user, {}, meta);
      await self().updateEmailOrPassword({ userId: recovered.id, password: newPassword, meta });
      return { status: "OK", userId: user.id, email: user.email };
    },

    async updateEmailOrPassword({ userId, email, password, emailVerified, tenantId, meta = NO_REQUEST }) {
      const user = await accounts.byId(userId, tenantId);
      if (!user) return { status: "UNKNOWN_USER_ID_ERROR" };
      const normalised = email === undefined ? undefined : normaliseEmail(email);
      if (normalised !== undefined && normalised !== user.email) {
        if (emailVerified) {
          const moved = await accounts.changeEmail(user, normalised, meta);
          if (moved.status !== "OK") return moved;
        } else {
          // An unproven address (set by an admin): the account must prove it again.
          const moved = await accounts.update(user, { email: normalised, emailVerified: false, emailVerifiedAt: null }, meta, {
            type: "email.changed",
            data: { from: user.email, to: normalised },
          });
          if (moved === "TAKEN") return { status: "EMAIL_ALREADY_EXISTS_ERROR" };
        }
      } else if (emailVerified === true && user.email) {
        await accounts.verifyEmail(user, user.email, meta);
      } else if (emailVerified === false && user.emailVerified) {
        await accounts.update(user, { emailVerified: false, emailVerifiedAt: null }, meta);
      }
      if (password !== undefined) {
        // The login method the password adds follows the address as it is now.
        const current = normalised !== undefined || emailVerified !== undefined ? (await accounts.byId(userId))! : user;
        await accounts.setPassword(current, await hasher.hash(password), meta);
      }
      return { status: "OK" };
    },

    async createEmailVerificationToken({ userId, email, tenantId, redirectTo }) {
      const user = await accounts.byId(userId, tenantId);
      const normalised = normaliseEmail(email);
      if (user?.emailVerified && user.email === normalised) return { status: "EMAIL_ALREADY_VERIFIED_ERROR" };
      const token = await tickets.issue({
        type: "emailVerify",
        tenantId,
        userId,
        email: normalised,
        redirectTo,
        ttlSeconds: config.emailVerificationTicketTtlSeconds,
      });
      return { status: "OK", token };
    },

    async verifyEmailUsingToken({ token, tenantId, meta = NO_REQUEST }) {
      const ticket = await tickets.consume(token, ["emailVerify", "emailConfirmChange"], tenantId);
      const user = ticket ? await accounts.byId(ticket.userId, tenantId) : null;
      if (!ticket?.email || !user) return { status: "EMAIL_VERIFICATION_INVALID_TOKEN_ERROR" };
      if (ticket.type === "emailVerify" && user.email !== ticket.email) return { status: "EMAIL_VERIFICATION_INVALID_TOKEN_ERROR" };
      const updated = await self().updateEmailOrPassword({ userId: user.id, email: ticket.email, emailVerified: true, meta });
      if (updated.status !== "OK") return updated.status === "EMAIL_ALREADY_EXISTS_ERROR" ? updated : { status: "EMAIL_VERIFICATION_INVALID_TOKEN_ERROR" };
      const previousEmail = user.email !== ticket.email ? user.email : undefined;
      return { status: "OK", user: (await accounts.byId(user.id))!, ...(previousEmail !== undefined ? { previousEmail } : {}) };
    },
  };
}
