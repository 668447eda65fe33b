/** Reading users: lookups by id and by normalised email, scoped to a tenant. */
import { Prisma, type PrismaClient, type User } from "../generated/prisma/client.js";
import type { SqlRunner } from "../db/database.js";

export type UserRow = User;

/** Emails are compared trimmed and lower-cased (as SuperTokens does), so case variants are one account. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface UserStore {
  byId(id: string, tenantId?: string): Promise<UserRow | null>;
  byEmail(tenantId: string, email: string): Promise<UserRow | null>;
  byPhone(tenantId: string, phoneNumber: string): Promise<UserRow | null>;
  /** A page of users matching `where` after the keyset `after` (oldest first), and how many match `where`. */
  page(where: Prisma.UserWhereInput, after: Prisma.UserWhereInput, take: number): Promise<{ rows: UserRow[]; totalCount: number }>;
  count(where: Prisma.UserWhereInput): Promise<number>;
  /** The user a provider identity (provider, subject) belongs to. */
  identityOwner(tenantId: string, providerId: string, subject: string): Promise<string | null>;
}

/**
 * A fact about a user that a statement reading the user (aliased `u`) can select
 * beside its columns, so the module that owns the fact needs no statement of its
 * own later in the request: `column` is the SQL expression, `keep` hands its
 * value back for that very row object.
 */
export interface UserPreload {
  column: Prisma.Sql;
  keep(user: UserRow, value: unknown): void;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * The User columns this release knows, for raw SQL that names the table `u`
 * (`SELECT ${USER_COLUMNS} FROM "User" u ...`): spelled out rather than `u.*`, so
 * the statement can stay prepared when a newer release's migration adds a column
 * (see database.ts). Built once: the sign-in and `me` statements use it.
 */
export const USER_COLUMNS: Prisma.Sql = Prisma.raw(
  Object.values(Prisma.UserScalarFieldEnum)
    .map((column) => `u."${column}"`)
    .join(", "),
);

// Hot paths (every sign-in looks a user up): statements on the driver (see SqlRunner).
export function createUserStore(prisma: PrismaClient, sql: SqlRunner): UserStore {
  return {
    async byId(id, tenantId) {
      if (!isUuid(id)) return null;
      const rows = tenantId
        ? await sql.query<UserRow>(Prisma.sql`SELECT ${USER_COLUMNS} FROM "User" u WHERE id = ${id}::uuid AND "tenantId" = ${tenantId}`)
        : await sql.query<UserRow>(Prisma.sql`SELECT ${USER_COLUMNS} FROM "User" u WHERE id = ${id}::uuid`);
      return rows[0] ?? null;
    },
    async byEmail(tenantId, email) {
      const rows = await sql.query<UserRow>(Prisma.sql`
        SELECT ${USER_COLUMNS} FROM "User" u WHERE "tenantId" = ${tenantId} AND email = ${normaliseEmail(email)}`);
      return rows[0] ?? null;
    },
    async page(where, after, take) {
      const [rows, totalCount] = await Promise.all([
        prisma.user.findMany({ where: { AND: [where, after] }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], take }),
        prisma.user.count({ where }),
      ]);
      return { rows, totalCount };
    },
    count: (where) => prisma.user.count({ where }),
    async identityOwner(tenantId, providerId, subject) {
      const method = await prisma.loginMethod.findUnique({
        where: { tenantId_thirdPartyId_thirdPartyUserId: { tenantId, thirdPartyId: providerId, thirdPartyUserId: subject } },
        select: { userId: true },
      });
      return method?.userId ?? null;
    },
    async byPhone(tenantId, phoneNumber) {
      const rows = await prisma.$queryRaw<UserRow[]>`
        SELECT ${USER_COLUMNS} FROM "User" u WHERE "tenantId" = ${tenantId} AND "phoneNumber" = ${phoneNumber}`;
      return rows[0] ?? null;
    },
  };
}
