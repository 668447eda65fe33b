/**
 * Email/password functions with the seed's signatures and statuses (SuperTokens
 * emailpassword RecipeInterface). They touch the database only; flows (sessions,
 * lockouts, emails) live in api.ts. The whole object is overridable.
 */
import { randomUUID } from "node:crypto";
import type { Deps } from "../../deps.js";
import { isUniqueViolation } from "../../db/errors.js";
import { normaliseEmail, type UserRow } from "../../users/users.js";
import { profileColumns, type NewUserProfile } from "../../users/sign-up-options.js";
import { addLoginMethod } from "../../users/login-methods.js";

export const RECIPE_ID = "emailpassword";

export interface EmailPasswordFunctions {
  signUp(input: { email: string; password: string; tenantId: string; profile?: NewUserProfile }): Promise<
    { status: "OK"; user: UserRow } | { status: "EMAIL_ALREADY_EXISTS_ERROR" }
  >;
  /** `user`, when given, is the account with this email, looked up already (undefined: look it up). */
  signIn(input: { email: string; password: string; tenantId: string; user?: UserRow | null }): Promise<
    { status: "OK"; user: UserRow } | { status: "WRONG_CREDENTIALS_ERROR" }
  >;
  getUserById(input: { userId: string; tenantId?: string }): Promise<UserRow | undefined>;
  getUserByEmail(input: { email: string; tenantId: string }): Promise<UserRow | undefined>;
  createResetPasswordToken(input: { userId: string; email: string; tenantId: string }): Promise<
    { status: "OK"; token: string } | { status: "UNKNOWN_USER_ID_ERROR" }
  >;
  resetPasswordUsingToken(input: { token: string; newPassword: string; tenantId: string }): Promise<
    { status: "OK"; userId: string; email: string } | { status: "RESET_PASSWORD_INVALID_TOKEN_ERROR" }
  >;
  updateEmailOrPassword(input: { userId: string; email?: string; password?: string; emailVerified?: boolean; tenantId?: string }): Promise<
    { status: "OK" } | { status: "UNKNOWN_USER_ID_ERROR" } | { status: "EMAIL_ALREADY_EXISTS_ERROR" }
  >;
  createEmailVerificationToken(input: { userId: string; email: string; tenantId: string; redirectTo?: string | null }): Promise<
    { status: "OK"; token: string } | { status: "EMAIL_ALREADY_VERIFIED_ERROR" }
  >;
  /** Spends an emailVerify or emailConfirmChange ticket; the latter moves the account to the new address. */
  verifyEmailUsingToken(input: { token: string; tenantId: string }): Promise<
    | { status: "OK"; user: UserRow }
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
  const user = ticket && (await deps.users.byId(ticket.userId, tenantId));
  return user && ticket.email && user.email === ticket.email ? user : null;
}

export function createEmailPasswordFunctions(deps: Deps): EmailPasswordFunctions {
  const { prisma, hasher, tickets, config } = deps;

  const functions: EmailPasswordFunctions = {
    async signUp({ email, password, tenantId, profile }) {
      const normalised = normaliseEmail(email);
      if (await deps.users.byEmail(tenantId, normalised)) return { status: "EMAIL_ALREADY_EXISTS_ERROR" };
      const passwordHash = await hasher.hash(password);
      try {
        const user = await prisma.user.create({
          data: {
            id: randomUUID(),
            tenantId,
            email: normalised,
            passwordHash,
            ...profileColumns(config, profile),
            createdAt: deps.clock.now(),
            loginMethods: { create: { id: randomUUID(), tenantId, recipeId: RECIPE_ID, email: normalised, createdAt: deps.clock.now() } },
          },
        });
        return { status: "OK", user };
      } catch (error) {
        // A parallel sign-up with the same (normalised) email won the unique index.
        if (isUniqueViolation(error)) return { status: "EMAIL_ALREADY_EXISTS_ERROR" };
        throw error;
      }
    },

    async signIn({ email, password, tenantId, user: known }) {
      const user = known !== undefined ? known : await deps.users.byEmail(tenantId, email);
      if (!user?.passwordHash) {
        await hasher.burn(password); // same time as a wrong password: no enumeration by timing
        return { status: "WRONG_CREDENTIALS_ERROR" };
      }
      return (await hasher.verify(user.passwordHash, password)) ? { status: "OK", user } : { status: "WRONG_CREDENTIALS_ERROR" };
    },

    getUserById: async ({ userId, tenantId }) => (await deps.users.byId(userId, tenantId)) ?? undefined,
    getUserByEmail: async ({ email, tenantId }) => (await deps.users.byEmail(tenantId, email)) ?? undefined,

    async createResetPasswordToken({ userId, email, tenantId }) {
      const user = await deps.users.byId(userId, tenantId);
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

    async resetPasswordUsingToken({ token, newPassword, tenantId }) {
      const user = await spendResetTicket(deps, token, tenantId);
      if (!user?.email) return { status: "RESET_PASSWORD_INVALID_TOKEN_ERROR" };
      // Following the emailed link proves the address, as verification would.
      await functions.updateEmailOrPassword({ userId: user.id, password: newPassword, emailVerified: true });
      return { status: "OK", userId: user.id, email: user.email };
    },

    async updateEmailOrPassword({ userId, email, password, emailVerified, tenantId }) {
      const user = await deps.users.byId(userId, tenantId);
      if (!user) return { status: "UNKNOWN_USER_ID_ERROR" };
      const normalised = email === undefined ? undefined : normaliseEmail(email);
      const passwordHash = password === undefined ? undefined : await hasher.hash(password);
      const emailChanged = normalised !== undefined && normalised !== user.email;
      deps.viewerCache.forgetUser(userId);
      try {
        await prisma.$transaction([
          prisma.user.update({
            where: { id: userId },
            data: {
              ...(emailChanged ? { email: normalised, emailVerified: emailVerified ?? false } : {}),
              ...(!emailChanged && emailVerified !== undefined ? { emailVerified } : {}),
              ...(passwordHash ? { passwordHash } : {}),
            },
          }),
          prisma.loginMethod.updateMany({
            where: { userId, recipeId: RECIPE_ID },
            data: {
              ...(emailChanged ? { email: normalised } : {}),
              ...(emailVerified !== undefined ? { verified: emailVerified } : {}),
            },
          }),
        ]);
      } catch (error) {
        if (isUniqueViolation(error)) return { status: "EMAIL_ALREADY_EXISTS_ERROR" };
        throw error;
      }
      if (passwordHash) {
        await addLoginMethod(prisma, { userId, tenantId: user.tenantId, recipeId: RECIPE_ID, email: normalised ?? user.email, verified: false, at: deps.clock.now() });
      }
      return { status: "OK" };
    },

    async createEmailVerificationToken({ userId, email, tenantId, redirectTo }) {
      const user = await deps.users.byId(userId, tenantId);
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

    async verifyEmailUsingToken({ token, tenantId }) {
      const ticket = await tickets.consume(token, ["emailVerify", "emailConfirmChange"], tenantId);
      const user = ticket ? await deps.users.byId(ticket.userId, tenantId) : null;
      if (!ticket?.email || !user) return { status: "EMAIL_VERIFICATION_INVALID_TOKEN_ERROR" };
      if (ticket.type === "emailVerify" && user.email !== ticket.email) return { status: "EMAIL_VERIFICATION_INVALID_TOKEN_ERROR" };
      const updated = await functions.updateEmailOrPassword({ userId: user.id, email: ticket.email, emailVerified: true });
      if (updated.status !== "OK") return updated.status === "EMAIL_ALREADY_EXISTS_ERROR" ? updated : { status: "EMAIL_VERIFICATION_INVALID_TOKEN_ERROR" };
      return { status: "OK", user: (await deps.users.byId(user.id))! };
    },
  };
  return functions;
}
