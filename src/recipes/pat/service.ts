/**
 * Personal access tokens (Nhost): long-lived secrets a user creates from an
 * elevated session for scripts and CI, traded for ordinary sessions. 256 random
 * bits behind a "pat_" prefix, stored as SHA-256; they end when they expire, are
 * revoked, or their user is disabled or deleted.
 */
import { randomUUID } from "node:crypto";
import type { Deps } from "../../deps.js";
import { randomToken, sha256 } from "../../crypto/tokens.js";
import { isUuid, USER_COLUMNS, type UserRow } from "../../accounts/users.js";

const PAT_PREFIX = "pat_";

export interface PersonalAccessTokenInfo {
  id: string;
  metadata: unknown;
  expiresAt: Date;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface PatFunctions {
  create(input: { user: UserRow; expiresAt: Date; metadata: Record<string, unknown> }): Promise<{ status: "OK"; id: string; personalAccessToken: string }>;
  /** The token's user when the token is live and the user enabled. */
  userFor(input: { personalAccessToken: string }): Promise<UserRow | null>;
  list(input: { userId: string }): Promise<PersonalAccessTokenInfo[]>;
  revoke(input: { userId: string; id: string }): Promise<{ status: "OK"; didExist: boolean }>;
}

export function createPatFunctions(deps: Deps): PatFunctions {
  const { prisma, clock } = deps;
  return {
    async create({ user, expiresAt, metadata }) {
      const personalAccessToken = `${PAT_PREFIX}${randomToken()}`;
      const id = randomUUID();
      await prisma.personalAccessToken.create({
        data: {
          id,
          userId: user.id,
          tenantId: user.tenantId,
          tokenHash: sha256(personalAccessToken),
          metadata: metadata as object,
          expiresAt,
          createdAt: clock.now(),
        },
      });
      return { status: "OK", id, personalAccessToken };
    },

    async userFor({ personalAccessToken }) {
      if (typeof personalAccessToken !== "string" || !personalAccessToken.startsWith(PAT_PREFIX) || personalAccessToken.length > 128) return null;
      const now = clock.now();
      const rows = await prisma.$queryRaw<UserRow[]>`
        WITH used AS (
          UPDATE "PersonalAccessToken" SET "lastUsedAt" = ${now}
          WHERE "tokenHash" = ${sha256(personalAccessToken)} AND "expiresAt" > ${now}
          RETURNING "userId"
        )
        SELECT ${USER_COLUMNS} FROM used JOIN "User" u ON u.id = used."userId" WHERE NOT u.disabled`;
      return rows[0] ?? null;
    },

    list: ({ userId }) =>
      prisma.personalAccessToken.findMany({
        where: { userId },
        select: { id: true, metadata: true, expiresAt: true, createdAt: true, lastUsedAt: true },
        orderBy: { createdAt: "asc" },
      }),

    async revoke({ userId, id }) {
      if (!isUuid(id)) return { status: "OK", didExist: false };
      const { count } = await prisma.personalAccessToken.deleteMany({ where: { id, userId } });
      return { status: "OK", didExist: count > 0 };
    },
  };
}

/** Housekeeping: expired tokens can never be used again. */
export async function deleteExpiredTokens({ prisma, clock }: Pick<Deps, "prisma" | "clock">): Promise<number> {
  return (await prisma.personalAccessToken.deleteMany({ where: { expiresAt: { lte: clock.now() } } })).count;
}
