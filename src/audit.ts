/** The audit log: security-relevant events, written to the database (admins query it, subscriptions will stream it). */
import type { Logger } from "pino";
import type { Clock } from "./clock.js";
import type { AuditEvent as AuditEventRow, Prisma, PrismaClient } from "./generated/prisma/client.js";

export type AuditEventType =
  | "user.signed_up"
  | "user.signed_in"
  | "user.sign_in_failed"
  | "user.locked_out"
  | "session.revoked"
  | "session.token_theft_detected"
  | "user.signed_out"
  | "password.changed"
  | "password.reset"
  | "account.started_clean"
  | "email.verified"
  | "phone.verified"
  | "email.change_requested"
  | "email.changed"
  | "security_key.added"
  | "security_key.removed"
  | "security_key.counter_regressed"
  | "totp.device_added"
  | "totp.device_removed"
  | "mfa.reset"
  | "session.elevated"
  | "user.profile_updated"
  | "user.deleted"
  | "identity.unlinked"
  | "admin.user_created"
  | "admin.user_updated"
  | "admin.user_deleted"
  | "admin.sessions_revoked";

export interface AuditEvent {
  type: AuditEventType;
  tenantId: string;
  userId?: string | null;
  ip?: string;
  userAgent?: string;
  data?: Record<string, unknown>;
}

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
  /** A page of events matching `where` before the keyset `before` (newest first), and how many match `where`. */
  page(where: Prisma.AuditEventWhereInput, before: Prisma.AuditEventWhereInput, take: number): Promise<{ rows: AuditEventRow[]; totalCount: number }>;
  /** The id of the user's newest event (0 without one). */
  newestId(userId: string): Promise<bigint>;
  /** The user's events after `id`, oldest first. */
  after(userId: string, id: bigint, take: number): Promise<AuditEventRow[]>;
  /** The user's events with these ids (any order). */
  byIds(userId: string, ids: bigint[]): Promise<AuditEventRow[]>;
  /** Records an event about `user` caused by a request from `meta`. */
  recordFor(
    meta: { ip: string; userAgent: string },
    type: AuditEventType,
    user: { id: string; tenantId: string },
    data?: Record<string, unknown>,
  ): Promise<void>;
}

export function createAuditLog(prisma: PrismaClient, clock: Clock, logger: Logger): AuditLog {
  const log: AuditLog = {
    recordFor: (meta, type, user, data) => log.record({ type, tenantId: user.tenantId, userId: user.id, ip: meta.ip, userAgent: meta.userAgent, data }),
    async page(where, before, take) {
      const [rows, totalCount] = await Promise.all([
        prisma.auditEvent.findMany({ where: { ...where, ...before }, orderBy: { id: "desc" }, take }),
        prisma.auditEvent.count({ where }),
      ]);
      return { rows, totalCount };
    },
    async newestId(userId) {
      return (await prisma.auditEvent.findFirst({ where: { userId }, orderBy: { id: "desc" }, select: { id: true } }))?.id ?? 0n;
    },
    byIds: (userId, ids) => prisma.auditEvent.findMany({ where: { userId, id: { in: ids } } }),
    after: (userId, id, take) => prisma.auditEvent.findMany({ where: { userId, id: { gt: id } }, orderBy: { id: "asc" }, take }),
    async record(event) {
      logger.info({ audit: event.type, userId: event.userId, tenantId: event.tenantId }, "audit");
      // Written on every sign-in: one raw INSERT.
      await prisma.$executeRaw`
        INSERT INTO "AuditEvent" ("tenantId", "userId", type, ip, "userAgent", data, "createdAt")
        VALUES (${event.tenantId}, ${event.userId ?? null}::uuid, ${event.type}, ${(event.ip ?? "").slice(0, 64)},
                ${(event.userAgent ?? "").slice(0, 512)}, ${JSON.stringify(event.data ?? {})}::jsonb, ${clock.now()})`;
    },
  };
  return log;
}
