/**
 * Passwordless functions with the seed's shapes (SuperTokens passwordless
 * RecipeInterface). A "device" is one sign-in attempt: the client keeps the
 * random deviceId, the server keeps only preAuthSessionId = SHA-256(deviceId),
 * the codes hashed together with deviceId, and the magic links' codes hashed.
 *
 * Consuming is one conditional DELETE of the device (its codes cascade): of many
 * requests with the right code only one deletes it, so only one signs in. Wrong
 * codes count on the device; the last allowed wrong code deletes it, and the
 * next attempt answers RESTART_FLOW_ERROR.
 */
import { randomInt, randomUUID } from "node:crypto";
import type { Deps } from "../../deps.js";
import { NO_REQUEST } from "../../accounts/accounts.js";
import type { RequestMeta } from "../../sessions/service.js";
import { randomToken, sha256 } from "../../crypto/tokens.js";
import { addSeconds } from "../../clock.js";
import { profileColumns, type NewUserProfile } from "../../accounts/sign-up-options.js";
import { normaliseEmail, type UserRow } from "../../accounts/users.js";

export const RECIPE_ID = "passwordless";

export type Contact = { email: string; phoneNumber?: undefined } | { phoneNumber: string; email?: undefined };

export interface CreatedCode {
  status: "OK";
  preAuthSessionId: string;
  deviceId: string;
  userInputCode: string;
  linkCode: string;
  codeLifetime: number;
  timeCreated: number;
}

export interface StoredOptions {
  profile?: NewUserProfile;
  redirectTo?: string | null;
  /** shouldTryLinkingWithSessionUser: the user the code adds its address to (and the session that asked). */
  linkTo?: { userId: string; sessionId: string };
}

type Attempts = { failedCodeInputAttemptCount: number; maximumCodeInputAttempts: number };

export type ConsumeInput = { tenantId: string; preAuthSessionId: string; meta?: RequestMeta } & (
  | { deviceId: string; userInputCode: string; linkCode?: undefined }
  | { linkCode: string; deviceId?: undefined; userInputCode?: undefined }
);

export interface PasswordlessFunctions {
  createCode(input: Contact & { tenantId: string; options?: StoredOptions; userInputCode?: string }): Promise<CreatedCode>;
  createNewCodeForDevice(input: {
    tenantId: string;
    deviceId: string;
    userInputCode?: string;
  }): Promise<(CreatedCode & { email: string | null; phoneNumber: string | null }) | { status: "RESTART_FLOW_ERROR" }>;
  /** Checks the code and spends the device; signs the contact up or finds its user. */
  consumeCode(
    input: ConsumeInput,
  ): Promise<
    | { status: "OK"; createdNewRecipeUser: boolean; user: UserRow }
    | ({ status: "INCORRECT_USER_INPUT_CODE_ERROR" } & Attempts)
    | ({ status: "EXPIRED_USER_INPUT_CODE_ERROR" } & Attempts)
    | { status: "RESTART_FLOW_ERROR" }
    | { status: "SIGN_IN_UP_NOT_ALLOWED"; reason: string }
  >;
  /** Checks the code and spends the device without signing anyone in: the address it proves, and the device's options. */
  spendCode(
    input: ConsumeInput,
  ): Promise<
    | { status: "OK"; email: string | null; phoneNumber: string | null; options: StoredOptions }
    | ({ status: "INCORRECT_USER_INPUT_CODE_ERROR" | "EXPIRED_USER_INPUT_CODE_ERROR" } & Attempts)
    | { status: "RESTART_FLOW_ERROR" }
  >;
  getUserByPhoneNumber(input: { phoneNumber: string; tenantId: string }): Promise<UserRow | undefined>;
  /** The sign-in in progress (SuperTokens' device) with this preAuthSessionId: where its codes go, and its sign-up options. */
  listCodesByPreAuthSessionId(input: {
    tenantId: string;
    preAuthSessionId: string;
  }): Promise<{ preAuthSessionId: string; email: string | null; phoneNumber: string | null; options: StoredOptions } | undefined>;
  /** Ends a sign-in in progress: its codes and links stop working. */
  revokeAllCodes(input: { tenantId: string; preAuthSessionId: string }): Promise<{ status: "OK" }>;
  /**
   * A code to an address the account already has, for a second factor or a
   * step-up: the device is `deviceId` (derived by the caller from its ticket or
   * session), made on first use; a new code replaces earlier ones per
   * PASSWORDLESS_RESEND_INVALIDATES. No link: the code is typed where it was asked for.
   */
  createFactorCode(input: Contact & { tenantId: string; deviceId: string }): Promise<CreatedCode | { status: "RESTART_FLOW_ERROR" }>;
  /** Checks and spends a factor code (single use, attempts counted on the device); answers the address it went to. */
  checkFactorCode(input: {
    tenantId: string;
    deviceId: string;
    userInputCode: string;
  }): Promise<
    | { status: "OK"; email: string | null; phoneNumber: string | null }
    | ({ status: "INCORRECT_USER_INPUT_CODE_ERROR" | "EXPIRED_USER_INPUT_CODE_ERROR" } & Attempts)
    | { status: "RESTART_FLOW_ERROR" }
  >;
}

interface DeviceRow {
  preAuthSessionId: string;
  tenantId: string;
  email: string | null;
  phoneNumber: string | null;
  options: StoredOptions;
}

export interface PasswordlessFunctionOptions {
  /** Only existing users may sign in (invite-only apps). */
  signUpDisabled?: boolean;
}

export function createPasswordlessFunctions(deps: Deps, options: PasswordlessFunctionOptions = {}): PasswordlessFunctions {
  const { prisma, clock, config } = deps;
  const { codeLifetimeSeconds, maxAttempts, codeLength, resendInvalidatesEarlierCodes } = config.passwordless;
  const attempts = (failed: number): Attempts => ({ failedCodeInputAttemptCount: failed, maximumCodeInputAttempts: maxAttempts });
  const codeHash = (deviceId: string, code: string) => sha256(`${deviceId}:${code}`);
  const newUserInputCode = () => Array.from({ length: codeLength }, () => randomInt(10)).join("");

  async function addCode(preAuthSessionId: string, deviceId: string, userInputCode = newUserInputCode()): Promise<CreatedCode> {
    const linkCode = randomToken();
    const now = clock.now();
    await prisma.passwordlessCode.create({
      data: {
        id: randomUUID(),
        preAuthSessionId,
        codeHash: codeHash(deviceId, userInputCode),
        linkCodeHash: sha256(linkCode),
        createdAt: now,
        expiresAt: addSeconds(now, codeLifetimeSeconds),
      },
    });
    return { status: "OK", preAuthSessionId, deviceId, userInputCode, linkCode, codeLifetime: codeLifetimeSeconds * 1000, timeCreated: now.getTime() };
  }

  /** Counts a wrong (or expired) code; the last allowed one spends the device. */
  async function countFailure(preAuthSessionId: string): Promise<number | null> {
    const rows = await prisma.$queryRaw<Array<{ failedAttempts: number }>>`
      UPDATE "PasswordlessDevice" SET "failedAttempts" = "failedAttempts" + 1
      WHERE "preAuthSessionId" = ${preAuthSessionId} AND "failedAttempts" < ${maxAttempts}
      RETURNING "failedAttempts"`;
    const failed = rows[0]?.failedAttempts;
    if (failed === undefined) return null;
    if (failed >= maxAttempts) await prisma.passwordlessDevice.deleteMany({ where: { preAuthSessionId } });
    return failed;
  }

  async function spendDevice(input: ConsumeInput): Promise<DeviceRow | "INCORRECT" | "EXPIRED" | "RESTART"> {
    const now = clock.now();
    if (input.linkCode !== undefined) {
      const rows = await prisma.$queryRaw<DeviceRow[]>`
        DELETE FROM "PasswordlessDevice" d USING "PasswordlessCode" c
        WHERE c."linkCodeHash" = ${sha256(input.linkCode)} AND c."preAuthSessionId" = d."preAuthSessionId"
          AND d."preAuthSessionId" = ${input.preAuthSessionId} AND d."tenantId" = ${input.tenantId}
          AND c."expiresAt" > ${now} AND d."failedAttempts" < ${maxAttempts}
        RETURNING d.*`;
      return rows[0] ?? "RESTART";
    }
    // The deviceId must be the one this flow was started with.
    if (sha256(input.deviceId) !== input.preAuthSessionId) return "RESTART";
    const hash = codeHash(input.deviceId, input.userInputCode);
    const rows = await prisma.$queryRaw<DeviceRow[]>`
      DELETE FROM "PasswordlessDevice" d
      WHERE d."preAuthSessionId" = ${input.preAuthSessionId} AND d."tenantId" = ${input.tenantId}
        AND d."failedAttempts" < ${maxAttempts}
        AND EXISTS (SELECT 1 FROM "PasswordlessCode" c
                    WHERE c."preAuthSessionId" = d."preAuthSessionId" AND c."codeHash" = ${hash} AND c."expiresAt" > ${now})
      RETURNING d.*`;
    if (rows[0]) return rows[0];
    const expired = await prisma.passwordlessCode.count({ where: { preAuthSessionId: input.preAuthSessionId, codeHash: hash } });
    return expired > 0 ? "EXPIRED" : "INCORRECT";
  }

  /** Spends the device for a right code, or counts a wrong one (the last allowed one spends it). */
  async function spend(input: ConsumeInput) {
    const spent = await spendDevice(input);
    if (spent === "RESTART") return { status: "RESTART_FLOW_ERROR" } as const;
    if (spent === "INCORRECT" || spent === "EXPIRED") {
      const failed = await countFailure(input.preAuthSessionId);
      if (failed === null) return { status: "RESTART_FLOW_ERROR" } as const;
      return { status: spent === "EXPIRED" ? "EXPIRED_USER_INPUT_CODE_ERROR" : "INCORRECT_USER_INPUT_CODE_ERROR", ...attempts(failed) } as const;
    }
    return { status: "OK", device: spent } as const;
  }

  /** The contact's account under the linking rule (accounts/linking.ts): a code that reached the address proves it. */
  async function signInUp(device: DeviceRow, meta: RequestMeta): Promise<{ user: UserRow; created: boolean } | { reason: string }> {
    const { tenantId, email, phoneNumber } = device;
    const signedIn = await deps.accounts.signInProven(
      {
        tenantId,
        contact: email ? { email } : { phoneNumber: phoneNumber! },
        method: { recipeId: RECIPE_ID, email, phoneNumber, verified: true },
        newAccount: options.signUpDisabled ? null : () => ({ tenantId, profile: profileColumns(config, device.options.profile) }),
      },
      meta,
    );
    if (signedIn.status !== "OK") return { reason: options.signUpDisabled ? "Sign-up is disabled" : "Try again" };
    return { user: signedIn.user, created: signedIn.created };
  }

  const functions: PasswordlessFunctions = {
    async createCode(input) {
      const deviceId = randomToken();
      const preAuthSessionId = sha256(deviceId);
      await prisma.passwordlessDevice.create({
        data: {
          preAuthSessionId,
          tenantId: input.tenantId,
          email: input.email === undefined ? null : normaliseEmail(input.email),
          phoneNumber: input.phoneNumber ?? null,
          options: (input.options ?? {}) as object,
          createdAt: clock.now(),
        },
      });
      return addCode(preAuthSessionId, deviceId, input.userInputCode);
    },

    async createNewCodeForDevice({ tenantId, deviceId, userInputCode }) {
      const preAuthSessionId = sha256(deviceId);
      const device = await prisma.passwordlessDevice.findFirst({ where: { preAuthSessionId, tenantId, failedAttempts: { lt: maxAttempts } } });
      if (!device) return { status: "RESTART_FLOW_ERROR" };
      if (resendInvalidatesEarlierCodes) await prisma.passwordlessCode.deleteMany({ where: { preAuthSessionId } });
      try {
        return { ...(await addCode(preAuthSessionId, deviceId, userInputCode)), email: device.email, phoneNumber: device.phoneNumber };
      } catch {
        return { status: "RESTART_FLOW_ERROR" }; // the device was spent meanwhile
      }
    },

    async consumeCode(input) {
      const spent = await spend(input);
      if (spent.status !== "OK") return spent;
      const outcome = await signInUp(spent.device, input.meta ?? NO_REQUEST);
      if ("reason" in outcome) return { status: "SIGN_IN_UP_NOT_ALLOWED", reason: outcome.reason };
      return { status: "OK", createdNewRecipeUser: outcome.created, user: outcome.user };
    },

    async spendCode(input) {
      const spent = await spend(input);
      if (spent.status !== "OK") return spent;
      return { status: "OK", email: spent.device.email, phoneNumber: spent.device.phoneNumber, options: spent.device.options };
    },

    getUserByPhoneNumber: async ({ phoneNumber, tenantId }) => (await deps.accounts.byPhone(tenantId, phoneNumber)) ?? undefined,

    async listCodesByPreAuthSessionId({ tenantId, preAuthSessionId }) {
      const device = await prisma.passwordlessDevice.findFirst({ where: { preAuthSessionId, tenantId } });
      return device ? { preAuthSessionId, email: device.email, phoneNumber: device.phoneNumber, options: device.options as StoredOptions } : undefined;
    },

    async revokeAllCodes({ tenantId, preAuthSessionId }) {
      await prisma.passwordlessDevice.deleteMany({ where: { preAuthSessionId, tenantId } });
      return { status: "OK" };
    },

    async createFactorCode({ tenantId, deviceId, email, phoneNumber }) {
      const preAuthSessionId = sha256(deviceId);
      await prisma.passwordlessDevice.createMany({
        data: [{ preAuthSessionId, tenantId, email: email ?? null, phoneNumber: phoneNumber ?? null, options: {}, createdAt: clock.now() }],
        skipDuplicates: true,
      });
      const sent = await functions.createNewCodeForDevice({ tenantId, deviceId });
      if (sent.status !== "OK") return sent;
      // The device was made for another address (the account's changed since): start over.
      if (sent.email !== (email ?? null) || sent.phoneNumber !== (phoneNumber ?? null)) {
        await functions.revokeAllCodes({ tenantId, preAuthSessionId });
        return functions.createFactorCode({ tenantId, deviceId, ...(email ? { email } : { phoneNumber: phoneNumber! }) });
      }
      return sent;
    },

    async checkFactorCode({ tenantId, deviceId, userInputCode }) {
      const spent = await spend({ tenantId, preAuthSessionId: sha256(deviceId), deviceId, userInputCode });
      return spent.status === "OK" ? { status: "OK", email: spent.device.email, phoneNumber: spent.device.phoneNumber } : spent;
    },
  };
  return functions;
}

/** Housekeeping: a day-old sign-in whose every code has expired can never be finished. */
export async function deleteAbandonedDevices({ prisma, clock }: Pick<Deps, "prisma" | "clock">): Promise<number> {
  const now = clock.now();
  return prisma.$executeRaw`
    DELETE FROM "PasswordlessDevice" d
    WHERE NOT EXISTS (SELECT 1 FROM "PasswordlessCode" c WHERE c."preAuthSessionId" = d."preAuthSessionId" AND c."expiresAt" > ${now})
      AND d."createdAt" <= ${addSeconds(now, -86400)}`;
}
