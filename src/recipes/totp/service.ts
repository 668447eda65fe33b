/**
 * TOTP functions with the seed's shapes (SuperTokens totp RecipeInterface):
 * devices with secrets sealed at rest, codes checked with otpauth (RFC 6238),
 * each code accepted once, and wrong codes counted per user across devices with
 * a growing lock.
 *
 * No replay: accepting a code records its time step on the device in one
 * conditional UPDATE (only if newer than the last accepted step), so the same
 * code, even in parallel requests, is accepted once.
 */
import { randomUUID } from "node:crypto";
import { Secret, TOTP } from "otpauth";
import type { Deps } from "../../deps.js";
import { isUniqueViolation } from "../../db/errors.js";
import { createSecondFactorLimiter } from "../../mfa/limiter.js";
import { Prisma, type TotpDevice } from "../../generated/prisma/client.js";

// RFC 4226 §4 asks for at least 128 bits and recommends 160: we use 160.
const SECRET_BYTES = 20;

type InvalidTotp = { status: "INVALID_TOTP_ERROR"; currentNumberOfFailedAttempts: number; maxNumberOfFailedAttempts: number };
type Locked = { status: "LIMIT_REACHED_ERROR"; retryAfterMs: number };

export interface TotpDeviceInfo {
  name: string;
  period: number;
  skew: number;
  verified: boolean;
}

export interface TotpFunctions {
  createDevice(input: {
    userId: string;
    userIdentifierInfo?: string | null;
    deviceName?: string | null;
  }): Promise<{ status: "OK"; deviceName: string; secret: string; qrCodeString: string } | { status: "DEVICE_ALREADY_EXISTS_ERROR" }>;
  listDevices(input: { userId: string }): Promise<{ status: "OK"; devices: TotpDeviceInfo[] }>;
  removeDevice(input: { userId: string; deviceName: string }): Promise<{ status: "OK"; didDeviceExist: boolean }>;
  verifyDevice(input: {
    userId: string;
    deviceName: string;
    totp: string;
  }): Promise<{ status: "OK"; wasAlreadyVerified: boolean } | { status: "UNKNOWN_DEVICE_ERROR" } | InvalidTotp | Locked>;
  /** Whether the user has a verified device (enrolled by `enrolledBefore`, when given). */
  hasVerifiedDevice(input: { userId: string; enrolledBefore?: Date }): Promise<boolean>;
  /** Removes every device of the user (an admin's MFA reset); how many went. */
  removeAllDevices(input: { userId: string }): Promise<number>;
  /** Checks a code against the user's verified devices (only those enrolled by `enrolledBefore`, when given). */
  verifyTOTP(input: {
    userId: string;
    totp: string;
    enrolledBefore?: Date;
  }): Promise<{ status: "OK" } | { status: "UNKNOWN_USER_ID_ERROR" } | InvalidTotp | Locked>;
}

/** Whether the user (`userId`: a SQL expression) has a verified device, enrolled by `enrolledBefore` when given. */
export function verifiedDeviceExists(userId: Prisma.Sql, enrolledBefore?: Date): Prisma.Sql {
  const enrolled = enrolledBefore ? Prisma.sql`AND d."createdAt" <= ${enrolledBefore}::timestamp(3)` : Prisma.empty;
  return Prisma.sql`EXISTS (SELECT 1 FROM "TotpDevice" d WHERE d."userId" = ${userId} AND d.verified ${enrolled})`;
}

export function createTotpFunctions(deps: Deps): TotpFunctions {
  const { prisma, sql, clock, encrypter, config } = deps;
  const limiter = createSecondFactorLimiter(deps); // keyed by user id

  const totpOf = (device: TotpDevice, label = "") =>
    new TOTP({
      issuer: config.totp.issuer,
      label,
      algorithm: device.algorithm,
      digits: device.digits,
      period: device.period,
      secret: Secret.fromBase32(encrypter.open(device.secretEncrypted)),
    });

  /** The time step the code belongs to on this device, or null. */
  function acceptedStep(device: TotpDevice, code: string): bigint | null {
    if (!/^\d{6,8}$/.test(code)) return null;
    const now = clock.now().getTime();
    const delta = totpOf(device).validate({ token: code, timestamp: now, window: device.skew });
    if (delta === null) return null;
    return BigInt(Math.floor(now / 1000 / device.period) + delta);
  }

  /** Records the step as used if it is newer than the last one: false means a replay. */
  async function claimStep(device: TotpDevice, step: bigint, verify: boolean): Promise<boolean> {
    const claimed = await prisma.$executeRaw`
      UPDATE "TotpDevice" SET "lastUsedStep" = ${step}, verified = verified OR ${verify}
      WHERE id = ${device.id}::uuid AND ("lastUsedStep" IS NULL OR "lastUsedStep" < ${step})`;
    return claimed === 1;
  }

  /** Checks a code against `devices`, counting it against the user's limit first. */
  async function check(userId: string, devices: TotpDevice[], code: string, verify: boolean): Promise<TotpDevice | InvalidTotp | Locked> {
    const verdict = await limiter.begin(userId);
    if (!verdict.allowed) return { status: "LIMIT_REACHED_ERROR", retryAfterMs: verdict.retryAfterMs };
    for (const device of devices) {
      const step = acceptedStep(device, code);
      if (step !== null && (await claimStep(device, step, verify))) {
        await limiter.succeed(userId);
        return device;
      }
    }
    return { status: "INVALID_TOTP_ERROR", currentNumberOfFailedAttempts: verdict.failures, maxNumberOfFailedAttempts: config.totp.lockout.threshold };
  }

  return {
    async createDevice({ userId, userIdentifierInfo, deviceName }) {
      const existing = await prisma.totpDevice.findMany({ where: { userId }, select: { name: true } });
      const name = deviceName?.trim() || defaultName(existing.map((device) => device.name));
      const secret = new Secret({ size: SECRET_BYTES });
      try {
        await prisma.totpDevice.create({
          data: {
            id: randomUUID(),
            userId,
            name,
            secretEncrypted: encrypter.seal(secret.base32),
            digits: config.totp.digits,
            period: config.totp.period,
            skew: config.totp.skew,
            createdAt: clock.now(),
          },
        });
      } catch (error) {
        if (isUniqueViolation(error)) return { status: "DEVICE_ALREADY_EXISTS_ERROR" };
        throw error;
      }
      const uri = new TOTP({
        issuer: config.totp.issuer,
        label: userIdentifierInfo ?? userId,
        digits: config.totp.digits,
        period: config.totp.period,
        secret,
      }).toString();
      return { status: "OK", deviceName: name, secret: secret.base32, qrCodeString: uri };
    },

    async listDevices({ userId }) {
      const devices = await prisma.totpDevice.findMany({ where: { userId }, orderBy: { createdAt: "asc" } });
      return { status: "OK", devices: devices.map(({ name, period, skew, verified }) => ({ name, period, skew, verified })) };
    },

    async removeDevice({ userId, deviceName }) {
      const { count } = await prisma.totpDevice.deleteMany({ where: { userId, name: deviceName } });
      // Removing the last verified device turns multi-factor sign-in off (Nhost's "deactivate MFA"),
      // and its recovery codes go with it: they must not come back to life with the next device.
      if ((await prisma.totpDevice.count({ where: { userId, verified: true } })) === 0) await prisma.recoveryCode.deleteMany({ where: { userId } });
      return { status: "OK", didDeviceExist: count > 0 };
    },

    async verifyDevice({ userId, deviceName, totp }) {
      const device = await prisma.totpDevice.findUnique({ where: { userId_name: { userId, name: deviceName } } });
      if (!device) return { status: "UNKNOWN_DEVICE_ERROR" };
      const checked = await check(userId, [device], totp, true);
      if ("status" in checked) return checked;
      // A verified device turns multi-factor sign-in on (Nhost's "activate MFA": see the factor in index.ts).
      return { status: "OK", wasAlreadyVerified: device.verified };
    },

    // Every sign-in asks (the factor's isSetUp), so it runs on the driver (see SqlRunner).
    async hasVerifiedDevice({ userId, enrolledBefore }) {
      const [row] = await sql.query<{ found: boolean }>(Prisma.sql`SELECT ${verifiedDeviceExists(Prisma.sql`${userId}::uuid`, enrolledBefore)} AS found`);
      return row?.found === true;
    },

    async removeAllDevices({ userId }) {
      const [devices] = await prisma.$transaction([prisma.totpDevice.deleteMany({ where: { userId } }), prisma.recoveryCode.deleteMany({ where: { userId } })]);
      return devices.count;
    },

    async verifyTOTP({ userId, totp, enrolledBefore }) {
      const devices = await prisma.totpDevice.findMany({
        where: { userId, verified: true, ...(enrolledBefore ? { createdAt: { lte: enrolledBefore } } : {}) },
      });
      if (devices.length === 0) return { status: "UNKNOWN_USER_ID_ERROR" };
      const checked = await check(userId, devices, totp, false);
      return "status" in checked ? checked : { status: "OK" };
    },
  };
}

/** "TOTP Device 0", "TOTP Device 1", ...: the first name not taken (SuperTokens' defaults). */
function defaultName(taken: string[]): string {
  for (let i = 0; ; i++) if (!taken.includes(`TOTP Device ${i}`)) return `TOTP Device ${i}`;
}
