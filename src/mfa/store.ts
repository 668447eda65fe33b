/**
 * What the core asks of a user's second factors without knowing the recipes
 * that provide them: whether recovery codes are left (MfaRequired.factors,
 * me.recoveryCodesRemaining), and removing them all (an admin's MFA reset).
 */
import type { PrismaClient } from "../generated/prisma/client.js";

export interface MfaStore {
  recoveryCodesRemaining(userId: string): Promise<number>;
  /** The second factors the user can finish a sign-in with (MfaRequired.factors). */
  factorsSetUp(userId: string): Promise<string[]>;
  /** The factors a session opened at `openedAt` may step up with: those the account had by then. */
  stepUpFactors(userId: string, openedAt: Date): Promise<string[]>;
  /** Removes every TOTP device and recovery code of the user; answers how many devices went. */
  removeAll(userId: string): Promise<number>;
}

export function createMfaStore(prisma: PrismaClient): MfaStore {
  return {
    recoveryCodesRemaining: (userId) => prisma.recoveryCode.count({ where: { userId } }),
    async factorsSetUp(userId) {
      const [devices, codes] = await Promise.all([
        prisma.totpDevice.count({ where: { userId, verified: true } }),
        prisma.recoveryCode.count({ where: { userId } }),
      ]);
      return [...(devices > 0 ? ["totp"] : []), ...(codes > 0 ? ["recoveryCode"] : [])];
    },
    async stepUpFactors(userId, openedAt) {
      const [devices, keys] = await Promise.all([
        prisma.totpDevice.count({ where: { userId, verified: true, createdAt: { lte: openedAt } } }),
        prisma.webauthnCredential.count({ where: { userId, createdAt: { lte: openedAt } } }),
      ]);
      return [...(devices > 0 ? ["totp"] : []), ...(keys > 0 ? ["webauthn"] : [])];
    },
    async removeAll(userId) {
      const [devices] = await prisma.$transaction([prisma.totpDevice.deleteMany({ where: { userId } }), prisma.recoveryCode.deleteMany({ where: { userId } })]);
      return devices.count;
    },
  };
}
