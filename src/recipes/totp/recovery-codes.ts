/**
 * Recovery codes: ten single-use codes shown once, for signing in when the
 * authenticator is lost. They have 60 random bits each, so they are stored as
 * HMAC-SHA-256 under a server key (a database leak alone cannot be brute-forced
 * offline), and spending one is a single DELETE ... RETURNING.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Deps } from "../../deps.js";
import { hmacSha256 } from "../../crypto/tokens.js";

const RECOVERY_CODE_COUNT = 10;
// Crockford-style alphabet without look-alikes (no i, l, o, u).
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

export interface RecoveryCodes {
  /** Replaces the user's codes with a new set and returns it (the only time it is readable). */
  generate(userId: string): Promise<string[]>;
  /** Spends one code; false when it is not one of the user's unspent codes. */
  consume(userId: string, code: string): Promise<boolean>;
  remaining(userId: string): Promise<number>;
  /** Removes every code of the user (an admin's MFA reset); how many went. */
  removeAll(userId: string): Promise<number>;
}

function newCode(): string {
  const chars = [...randomBytes(12)].map((byte) => ALPHABET[byte % 32]!).join("");
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
}

/** Case, spaces and dashes do not matter when a code is typed back. */
const normalise = (code: string) => code.toLowerCase().replace(/[\s-]/g, "");

export function createRecoveryCodes(deps: Deps): RecoveryCodes {
  const { prisma, clock } = deps;
  let key: Buffer | undefined;
  const hash = (code: string) => hmacSha256((key ??= deps.encrypter.deriveKey("recovery codes v1")), normalise(code));
  return {
    async generate(userId) {
      const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
      await prisma.$transaction([
        prisma.recoveryCode.deleteMany({ where: { userId } }),
        prisma.recoveryCode.createMany({ data: codes.map((code) => ({ id: randomUUID(), userId, codeHash: hash(code), createdAt: clock.now() })) }),
      ]);
      return codes;
    },
    async consume(userId, code) {
      if (typeof code !== "string" || code.length > 64) return false;
      const spent = await prisma.$executeRaw`DELETE FROM "RecoveryCode" WHERE "userId" = ${userId}::uuid AND "codeHash" = ${hash(code)}`;
      return spent === 1;
    },
    remaining: (userId) => prisma.recoveryCode.count({ where: { userId } }),
    removeAll: async (userId) => (await prisma.recoveryCode.deleteMany({ where: { userId } })).count,
  };
}
