/**
 * What the core asks of a user's second factors without knowing the recipes
 * that provide them: whether recovery codes are left (MfaRequired.factors,
 * me.recoveryCodesRemaining), and removing them all (an admin's MFA reset).
 */
import type { PrismaClient } from "../generated/prisma/client.js";

export interface MfaStore {
  recoveryCodesRemaining(userId: string): Promise<number>;
  /** Removes every TOTP device and recovery code of the user; answers how many devices went. */
  removeAll(userId: string): Promise<number>;
}

export function createMfaStore(prisma: PrismaClient): MfaStore {
  return {
    recoveryCodesRemaining: (userId) => prisma.recoveryCode.count({ where: { userId } }),
    async removeAll(userId) {
      const [devices] = await prisma.$transaction([prisma.totpDevice.deleteMany({ where: { userId } }), prisma.recoveryCode.deleteMany({ where: { userId } })]);
      return devices.count;
    },
  };
}
