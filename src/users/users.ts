/** Reading users: lookups by id and by normalised email, scoped to a tenant. */
import type { PrismaClient, User } from "../generated/prisma/client.js";

export type UserRow = User;

/** Emails are compared trimmed and lower-cased (as SuperTokens does), so case variants are one account. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface UserStore {
  byId(id: string, tenantId?: string): Promise<UserRow | null>;
  byEmail(tenantId: string, email: string): Promise<UserRow | null>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function createUserStore(prisma: PrismaClient): UserStore {
  return {
    byId: (id, tenantId) =>
      isUuid(id) ? prisma.user.findFirst({ where: { id, ...(tenantId ? { tenantId } : {}) } }) : Promise.resolve(null),
    byEmail: (tenantId, email) => prisma.user.findUnique({ where: { tenantId_email: { tenantId, email: normaliseEmail(email) } } }),
  };
}
