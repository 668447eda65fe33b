/**
 * The `securityEvents` subscription (server-sent events): the signed-in user's
 * audit-log entries as they are written: new sign-ins, sign-outs and revoked
 * sessions, password and email changes, factors and keys added or removed,
 * admin actions on the account.
 *
 * The audit log in the database is the source, read every
 * SECURITY_EVENTS_POLL_INTERVAL, so an event written by any server process
 * reaches subscribers on every other process. The stream ends when the
 * subscriber's own session ends.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ObjectRef } from "@pothos/core";
import type { Context } from "../context.js";
import type { AuditEvent } from "../generated/prisma/client.js";
import { unauthenticated } from "../schema/unauthenticated.js";
import type { Builder, Types } from "../schema/builder.js";

const BATCH = 100;

/** The AuditEvent type (the subscription's events, and the admin's audit log). */
export function defineAuditEvent(builder: Builder): ObjectRef<Types, AuditEvent> {
  return builder.objectRef<AuditEvent>("AuditEvent").implement({
    description: "A security-relevant event: sign-ins, sign-outs, password and email changes, factors and keys, admin actions.",
    fields: (t) => ({
      id: t.id({ resolve: (event) => String(event.id) }),
      type: t.exposeString("type", { description: 'e.g. "user.signed_in", "session.revoked", "password.changed", "security_key.added".' }),
      tenantId: t.exposeString("tenantId"),
      userId: t.exposeString("userId", { nullable: true }),
      ip: t.exposeString("ip"),
      userAgent: t.exposeString("userAgent"),
      data: t.field({ type: "JSON", resolve: (event) => event.data }),
      createdAt: t.field({ type: "DateTime", resolve: (event) => event.createdAt }),
    }),
  });
}

export function registerSecurityEvents(builder: Builder, AuditEventType: ObjectRef<Types, AuditEvent>): void {
  builder.subscriptionType({});
  builder.subscriptionField("securityEvents", (t) =>
    t.field({
      type: AuditEventType,
      description: "The signed-in user's security events from now on, over server-sent events (Accept: text/event-stream).",
      subscribe: (_, __, ctx) => stream(ctx),
      resolve: (event) => event,
    }),
  );
}

async function* stream(ctx: Context): AsyncGenerator<AuditEvent> {
  const viewer = await ctx.viewer();
  if (!viewer) throw unauthenticated();
  const { deps } = ctx;
  const userId = viewer.user.id;
  let last = await deps.audit.newestId(userId);
  const signal = ctx.request.signal;
  while (!signal.aborted) {
    const events = await deps.audit.after(userId, last, BATCH);
    for (const event of events) {
      last = event.id;
      yield event;
    }
    if (events.length === BATCH) continue;
    if (!(await deps.sessions.live(viewer.sessionId, userId))) return;
    await sleep(deps.config.securityEventsPollMs, undefined, { signal }).catch(() => undefined);
  }
}
