/**
 * WebAuthn ceremonies over @simplewebauthn/server, with the checks the library
 * leaves to its caller:
 *
 * - challenges are stored (hashed) when options are handed out and deleted by
 *   the first response that names them, so each works once, expires after
 *   WEBAUTHN_TIMEOUT, and belongs to one flow, tenant and (when known) user;
 * - a credential ID is registered once across all users (unique index);
 * - the response's userHandle must be the credential's user;
 * - the backup-eligible flag may not change after registration;
 * - the signature counter moves forward with a compare-and-swap UPDATE; a
 *   counter that goes backwards (or a lost race) refuses the sign-in as a
 *   possibly cloned key and is written to the audit log.
 */
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  VerifiedAuthenticationResponse,
} from "@simplewebauthn/server";
import { createHmac } from "node:crypto";
import type { Deps } from "../../deps.js";
import { isUuid } from "../../accounts/users.js";
import { addSeconds } from "../../clock.js";
import { sha256 } from "../../crypto/tokens.js";
import { isUniqueViolation } from "../../db/errors.js";
import type { WebauthnChallenge, WebauthnCredential } from "../../generated/prisma/client.js";
import { webauthnCredentialRow, type NewWebauthnCredential } from "../../accounts/store.js";

export const RECIPE_ID = "webauthn";

/** The library and its certificate parsers (megabytes of heap), loaded by the first ceremony. */
let library: Promise<[typeof import("@simplewebauthn/server"), typeof import("@simplewebauthn/server/helpers")]> | undefined;
const simplewebauthn = () => (library ??= Promise.all([import("@simplewebauthn/server"), import("@simplewebauthn/server/helpers")]));

export type Flow = "signUp" | "signIn" | "addKey" | "elevate" | "mfa";

export type StoredCredential = WebauthnCredential;

/** What a verified registration yields, ready to store (with a nickname, by sign-up or addCredential). */
export type NewCredential = Omit<NewWebauthnCredential, "nickname">;

type Invalid = { status: "INVALID_CREDENTIAL_ERROR"; message?: string };

export interface WebauthnFunctions {
  /** Creation options for `user`, with a fresh challenge stored for `flow`. */
  registrationOptions(input: {
    tenantId: string;
    flow: "signUp" | "addKey";
    user: { id: string; name: string; displayName: string };
    email?: string | null;
    data?: Record<string, unknown>;
  }): Promise<PublicKeyCredentialCreationOptionsJSON>;
  /** Request options listing `credentials` (none: discoverable passkeys), with a fresh challenge stored for `flow`. */
  authenticationOptions(input: {
    tenantId: string;
    flow: "signIn" | "elevate" | "mfa";
    userId?: string | null;
    email?: string | null;
    credentials: Array<{ credentialId: string; transports: string[] }>;
    data?: Record<string, unknown>;
  }): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /** Spends the challenge a response answers: null when unknown, used, expired, or of another flow or tenant. */
  consumeChallenge(input: { response: { response: { clientDataJSON: string } }; flows: Flow[]; tenantId: string }): Promise<WebauthnChallenge | null>;
  verifyRegistration(input: {
    response: RegistrationResponseJSON;
    challenge: WebauthnChallenge;
  }): Promise<{ status: "OK"; credential: NewCredential; userVerified: boolean } | Invalid>;
  /**
   * Checks an assertion against the stored credential it names and moves the
   * counter on. The challenge's user, when it has one, must own the credential.
   */
  verifyAuthentication(input: {
    response: AuthenticationResponseJSON;
    challenge: WebauthnChallenge;
  }): Promise<{ status: "OK"; credential: StoredCredential; userVerified: boolean } | Invalid | { status: "UNKNOWN_CREDENTIAL_ERROR" }>;
  /** Stores a verified credential for a user; INVALID_CREDENTIAL_ERROR when the credential ID is registered already. */
  addCredential(input: {
    userId: string;
    tenantId: string;
    credential: NewCredential;
    nickname: string;
  }): Promise<{ status: "OK"; credential: StoredCredential } | Invalid>;
  listCredentials(input: { userId: string }): Promise<StoredCredential[]>;
  /** Whether a credential ID is registered to anyone. */
  isRegistered(input: { credentialId: string }): Promise<boolean>;
  removeCredential(input: { userId: string; id: string }): Promise<{ status: "OK"; didExist: boolean }>;
}

export const ALREADY_REGISTERED = "This credential is registered already";

/** The WebAuthn user handle of a user: the 16 bytes of their UUID. */
function userHandle(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.replace(/-/g, ""), "hex"));
}

function handleToUserId(handle: string): string | null {
  const hex = Buffer.from(handle, "base64url").toString("hex");
  return hex.length === 32 ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` : null;
}

/** The library's challenge check: the response answers the stored (hashed) challenge. */
const isChallenge = (stored: WebauthnChallenge) => (challenge: string) => sha256(challenge) === stored.challengeHash;

const failed = (error: unknown): Invalid => ({
  status: "INVALID_CREDENTIAL_ERROR",
  message: `The passkey response could not be verified: ${error instanceof Error ? error.message : "malformed"}`,
});

export function createWebauthnFunctions(deps: Deps): WebauthnFunctions {
  const { prisma, clock, config } = deps;
  const rp = config.webauthn;
  const requireUserVerification = rp.userVerification === "required";

  async function storeChallenge(
    challenge: string,
    input: { tenantId: string; flow: Flow; userId?: string | null; email?: string | null; data?: Record<string, unknown> },
  ) {
    const now = clock.now();
    await prisma.webauthnChallenge.create({
      data: {
        challengeHash: sha256(challenge),
        flow: input.flow,
        tenantId: input.tenantId,
        userId: input.userId ?? null,
        email: input.email ?? null,
        data: (input.data ?? {}) as object,
        createdAt: now,
        expiresAt: addSeconds(now, rp.timeoutSeconds),
      },
    });
  }

  return {
    async registrationOptions({ tenantId, flow, user, email, data }) {
      const existing = await prisma.webauthnCredential.findMany({ where: { userId: user.id }, select: { credentialId: true, transports: true } });
      const options = await (await simplewebauthn())[0].generateRegistrationOptions({
        rpName: rp.rpName,
        rpID: rp.rpId,
        userID: userHandle(user.id),
        userName: user.name,
        userDisplayName: user.displayName,
        timeout: rp.timeoutSeconds * 1000,
        attestationType: rp.attestation,
        excludeCredentials: existing.map((credential) => ({ id: credential.credentialId, transports: credential.transports as never })),
        authenticatorSelection: { residentKey: "preferred", userVerification: rp.userVerification },
      });
      await storeChallenge(options.challenge, { tenantId, flow, userId: user.id, email, data });
      return options;
    },

    async authenticationOptions({ tenantId, flow, userId, email, credentials, data }) {
      const options = await (await simplewebauthn())[0].generateAuthenticationOptions({
        rpID: rp.rpId,
        allowCredentials: credentials.map((credential) => ({ id: credential.credentialId, transports: credential.transports as never })),
        userVerification: rp.userVerification,
        timeout: rp.timeoutSeconds * 1000,
      });
      await storeChallenge(options.challenge, { tenantId, flow, userId, email, data });
      return options;
    },

    async consumeChallenge({ response, flows, tenantId }) {
      const [, helpers] = await simplewebauthn();
      let challenge: string;
      try {
        challenge = helpers.decodeClientDataJSON(response.response.clientDataJSON).challenge;
      } catch {
        return null;
      }
      if (typeof challenge !== "string" || challenge.length === 0 || challenge.length > 512) return null;
      const rows = await prisma.$queryRaw<WebauthnChallenge[]>`
        DELETE FROM "WebauthnChallenge" WHERE "challengeHash" = ${sha256(challenge)} RETURNING *`;
      const row = rows[0];
      if (!row || !flows.includes(row.flow as Flow) || row.tenantId !== tenantId || row.expiresAt <= clock.now()) return null;
      return row;
    },

    async verifyRegistration({ response, challenge }) {
      try {
        const verified = await (await simplewebauthn())[0].verifyRegistrationResponse({
          response,
          expectedChallenge: isChallenge(challenge),
          expectedOrigin: rp.origins,
          expectedRPID: rp.rpId,
          requireUserPresence: true,
          requireUserVerification,
        });
        if (!verified.verified) return failed(null);
        const info = verified.registrationInfo;
        return {
          status: "OK",
          userVerified: info.userVerified,
          credential: {
            credentialId: info.credential.id,
            publicKey: info.credential.publicKey,
            counter: info.credential.counter,
            transports: (response.response.transports ?? []).filter((transport) => typeof transport === "string").slice(0, 8),
            deviceType: info.credentialDeviceType,
            backedUp: info.credentialBackedUp,
          },
        };
      } catch (error) {
        return failed(error);
      }
    },

    async verifyAuthentication({ response, challenge }) {
      const stored = await prisma.webauthnCredential.findUnique({ where: { credentialId: response.id } });
      if (!stored || stored.tenantId !== challenge.tenantId) return { status: "UNKNOWN_CREDENTIAL_ERROR" };
      if (challenge.userId && stored.userId !== challenge.userId) return { status: "UNKNOWN_CREDENTIAL_ERROR" };
      // A sign-in started with an email nobody (or no key) answers to cannot finish.
      if (!challenge.userId && challenge.email) return { status: "UNKNOWN_CREDENTIAL_ERROR" };
      const handle = response.response.userHandle;
      if (!challenge.userId && !handle) {
        return { status: "INVALID_CREDENTIAL_ERROR", message: "A discoverable passkey sign-in must return its user handle" };
      }
      if (handle && handleToUserId(handle) !== stored.userId) {
        return { status: "INVALID_CREDENTIAL_ERROR", message: "The user handle does not belong to this passkey" };
      }
      let verified: VerifiedAuthenticationResponse;
      try {
        verified = await (await simplewebauthn())[0].verifyAuthenticationResponse({
          response,
          expectedChallenge: isChallenge(challenge),
          expectedOrigin: rp.origins,
          expectedRPID: rp.rpId,
          // The counter is checked below, where a regression can be recorded.
          credential: { id: stored.credentialId, publicKey: new Uint8Array(stored.publicKey), counter: 0, transports: stored.transports as never },
          requireUserVerification,
        });
      } catch (error) {
        return failed(error);
      }
      if (!verified.verified) return failed(null);
      const info = verified.authenticationInfo;
      if (info.credentialDeviceType !== stored.deviceType) {
        return { status: "INVALID_CREDENTIAL_ERROR", message: "The authenticator's backup eligibility changed since registration" };
      }
      // Compare-and-swap: the counter moves forward from the value read, or (for
      // authenticators without a counter) stays at zero; a parallel use loses here.
      const counter = BigInt(info.newCounter);
      const moved = await prisma.$executeRaw`
        UPDATE "WebauthnCredential"
        SET counter = ${counter}, "backedUp" = ${info.credentialBackedUp}, "lastUsedAt" = ${clock.now()}
        WHERE id = ${stored.id}::uuid AND counter = ${stored.counter}
          AND (${counter} > counter OR (${counter} = 0 AND counter = 0))`;
      if (moved !== 1) {
        await deps.audit.record({
          type: "security_key.counter_regressed",
          tenantId: stored.tenantId,
          userId: stored.userId,
          data: { securityKeyId: stored.id, storedCounter: Number(stored.counter), presentedCounter: info.newCounter },
        });
        return { status: "INVALID_CREDENTIAL_ERROR", message: "The signature counter went backwards: this key may have been cloned" };
      }
      return { status: "OK", credential: stored, userVerified: info.userVerified };
    },

    async addCredential({ userId, tenantId, credential, nickname }) {
      try {
        const created = await prisma.webauthnCredential.create({
          data: { ...webauthnCredentialRow(tenantId, { ...credential, nickname }, clock.now()), userId },
        });
        return { status: "OK", credential: created };
      } catch (error) {
        if (isUniqueViolation(error)) return { status: "INVALID_CREDENTIAL_ERROR", message: ALREADY_REGISTERED };
        throw error;
      }
    },

    isRegistered: async ({ credentialId }) => (await prisma.webauthnCredential.count({ where: { credentialId } })) > 0,

    listCredentials: ({ userId }) => prisma.webauthnCredential.findMany({ where: { userId }, orderBy: { createdAt: "asc" } }),

    async removeCredential({ userId, id }) {
      if (!isUuid(id)) return { status: "OK", didExist: false };
      const { count } = await prisma.webauthnCredential.deleteMany({ where: { id, userId } });
      return { status: "OK", didExist: count > 0 };
    },
  };
}

/** Transport sets real authenticators report: platform passkeys, phones, security keys. */
const DECOY_TRANSPORTS = [["internal", "hybrid"], ["hybrid", "internal"], ["usb"], ["nfc", "usb"], ["internal"], ["ble", "hybrid", "internal", "nfc", "usb"]];
/** Credential ID lengths in bytes seen from real authenticators (16 to 64). */
const DECOY_ID_BYTES = [16, 20, 32, 32, 48, 64];

/**
 * Stand-in credentials for an email without passkeys, derived from the email
 * under a server key: the same on every request, and as varied as real users'
 * (one or two keys, base64url ids of several lengths, several transport sets),
 * so sign-in options do not tell whether an account exists.
 */
export function decoyCredentials(deps: Deps, tenantId: string, email: string): Array<{ credentialId: string; transports: string[] }> {
  const key = deps.encrypter.deriveKey("webauthn decoy credentials v2");
  const bytes = (label: string) => createHmac("sha256", key).update(`${tenantId}\n${email}\n${label}`).digest();
  const seed = bytes("seed");
  return Array.from({ length: 1 + (seed[0]! % 2) }, (_, i) => ({
    credentialId: Buffer.concat([bytes(`id ${i} a`), bytes(`id ${i} b`)])
      .subarray(0, DECOY_ID_BYTES[seed[1 + i]! % DECOY_ID_BYTES.length])
      .toString("base64url"),
    transports: DECOY_TRANSPORTS[seed[3 + i]! % DECOY_TRANSPORTS.length]!,
  }));
}

/** Housekeeping: expired challenges can never be answered. */
export async function deleteExpiredChallenges({ prisma, clock }: Pick<Deps, "prisma" | "clock">): Promise<number> {
  return (await prisma.webauthnChallenge.deleteMany({ where: { expiresAt: { lte: clock.now() } } })).count;
}
