/** The audit log: security-relevant events, written to the database (admins query it, subscriptions will stream it). */
import type { Logger } from "pino";
import type { Clock } from "./clock.js";
import type { PrismaClient } from "./generated/prisma/client.js";

export type AuditEventType =
  | "user.signed_up"
  | "user.signed_in"
  | "user.sign_in_failed"
  | "user.locked_out"
  | "session.refreshed"
  | "session.revoked"
  | "session.token_theft_detected"
  | "user.signed_out"
  | "password.changed"
  | "password.reset"
  | "account.started_clean"
  | "email.verified"
  | "email.change_requested"
  | "email.changed"
  | "security_key.added"
  | "security_key.removed"
  | "security_key.counter_regressed"
  | "totp.device_added"
  | "totp.device_removed"
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
  /** Records an event about `user` caused by a request from `meta`. */
  recordFor(meta: { ip: string; userAgent: string }, type: AuditEventType, user: { id: string; tenantId: string }, data?: Record<string, unknown>): Promise<void>;
}

export function createAuditLog(prisma: PrismaClient, clock: Clock, logger: Logger): AuditLog {
  const log: AuditLog = {
    recordFor: (meta, type, user, data) => log.record({ type, tenantId: user.tenantId, userId: user.id, ip: meta.ip, userAgent: meta.userAgent, data }),
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
