/**
 * One-time tickets sent by email or SMS (verify email, confirm an email change,
 * reset a password...). The ticket handed out is 256 random bits; only its
 * SHA-256 is stored, and consuming it is one DELETE ... RETURNING, so a ticket
 * works once even when two requests race.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "./clock.js";
import { addSeconds } from "./clock.js";
import { randomToken, sha256 } from "./crypto/tokens.js";
import type { PrismaClient, Ticket } from "./generated/prisma/client.js";

export type TicketType = "emailVerify" | "emailConfirmChange" | "passwordReset" | "mfaSignIn" | "mfaEnrol";

export interface TicketStore {
  issue(input: {
    type: TicketType;
    tenantId: string;
    userId: string;
    email?: string | null;
    redirectTo?: string | null;
    data?: Record<string, unknown>;
    ttlSeconds: number;
  }): Promise<string>;
  /** Spends a live ticket of one of `types`; null when unknown, expired, spent or of another type. */
  consume(token: string, types: TicketType[], tenantId: string): Promise<Ticket | null>;
  /** A live ticket of one of `types`, left in place (for tickets that survive a wrong second factor). */
  peek(token: string, types: TicketType[]): Promise<Ticket | null>;
}

export function createTicketStore(prisma: PrismaClient, clock: Clock): TicketStore {
  return {
    async issue({ type, tenantId, userId, email, redirectTo, data, ttlSeconds }) {
      const token = randomToken();
      const now = clock.now();
      await prisma.ticket.create({
        data: {
          id: randomUUID(),
          tokenHash: sha256(token),
          type,
          tenantId,
          userId,
          email: email ?? null,
          redirectTo: redirectTo ?? null,
          data: (data ?? {}) as object,
          createdAt: now,
          expiresAt: addSeconds(now, ttlSeconds),
        },
      });
      return token;
    },
    async peek(token, types) {
      if (typeof token !== "string" || token.length === 0 || token.length > 256) return null;
      const ticket = await prisma.ticket.findUnique({ where: { tokenHash: sha256(token) } });
      if (!ticket || !types.includes(ticket.type as TicketType) || ticket.expiresAt <= clock.now()) return null;
      return ticket;
    },
    async consume(token, types, tenantId) {
      if (typeof token !== "string" || token.length === 0 || token.length > 256) return null;
      const rows = await prisma.$queryRaw<Ticket[]>`
        DELETE FROM "Ticket" WHERE "tokenHash" = ${sha256(token)} RETURNING *`;
      const ticket = rows[0];
      if (!ticket || !types.includes(ticket.type as TicketType) || ticket.tenantId !== tenantId) return null;
      return ticket.expiresAt > clock.now() ? ticket : null;
    },
  };
}
