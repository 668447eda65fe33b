/**
 * The `securityEvents` subscription (server-sent events): the signed-in user's
 * audit-log entries as they are written: new sign-ins, sign-outs and revoked
 * sessions, password and email changes, factors and keys added or removed,
 * admin actions on the account.
 *
 * The audit log in the database is the source; a commit wakes the user's
 * subscribers on every server process (event-bus.ts), so nothing polls the
 * log. The stream ends when the subscriber's own session ends (checked on each
 * event and every SECURITY_EVENTS_POLL_INTERVAL) or the server drains.
 */
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
      subscribe: (_, __, ctx) => subscribe(ctx),
      resolve: (event) => event,
    }),
  );
}

/** A subscriber's place in the log: what its user's notifications brought, and how to leave. */
interface Feed {
  ctx: Context;
  userId: string;
  sessionId: string;
  inbox: bigint[];
  missed: boolean;
  wake?: () => void;
  /** The newest event delivered (or existing at subscribing): where a catch-up after a gap starts. */
  last: bigint;
  stop(): void;
}

/**
 * Subscribes before the answer starts: the subscription's response begins once
 * this resolves, so an event committed right after the client has its response
 * is heard (a lazily started stream subscribed only on its first read, which
 * could come after the client's next request had already written an event).
 * The stream still leaves the bus when the client goes before reading.
 */
async function subscribe(ctx: Context): Promise<AsyncIterableIterator<AuditEvent>> {
  const viewer = await ctx.viewer();
  if (!viewer) throw unauthenticated();
  const { deps } = ctx;
  const userId = viewer.user.id;
  const feed: Feed = { ctx, userId, sessionId: viewer.sessionId, inbox: [], missed: false, last: 0n, stop: () => {} };
  feed.stop = await deps.securityEventBus.subscribe(userId, {
    event(id) {
      feed.inbox.push(id);
      feed.wake?.();
    },
    gap() {
      feed.missed = true;
      feed.wake?.();
    },
  });
  try {
    // Only for catching up after a gap: everything after subscribing is notified.
    feed.last = await deps.audit.newestId(userId);
  } catch (error) {
    feed.stop();
    throw error;
  }
  const events = follow(feed);
  const iterator: AsyncIterableIterator<AuditEvent> = {
    [Symbol.asyncIterator]: () => iterator,
    next: () => events.next(),
    // A generator never started runs no `finally`: leave the bus here too.
    return: (value?: unknown) => {
      feed.stop();
      return events.return(value as never);
    },
    throw: (error?: unknown) => {
      feed.stop();
      return events.throw(error);
    },
  };
  return iterator;
}

async function* follow(feed: Feed): AsyncGenerator<AuditEvent> {
  const { deps } = feed.ctx;
  const { userId } = feed;
  // Ends with the client, or cleanly (a `complete` event) when the server drains.
  const signal = AbortSignal.any([feed.ctx.request.signal, deps.lifecycle.signal]);
  try {
    const recent = new Set<bigint>();
    while (!signal.aborted) {
      const ids = feed.inbox.splice(0);
      if (feed.missed) {
        feed.missed = false;
        for (const event of await deps.audit.after(userId, feed.last, BATCH)) if (!ids.includes(event.id)) ids.push(event.id);
      }
      const fresh = ids.filter((id) => !recent.has(id));
      if (fresh.length > 0) {
        const rows = new Map((await deps.audit.byIds(userId, fresh)).map((event) => [event.id, event]));
        // In the order they committed (the order notified), not by id.
        for (const id of fresh) {
          const event = rows.get(id);
          if (!event) continue;
          recent.add(id);
          if (recent.size > BATCH) recent.delete(recent.values().next().value!);
          if (id > feed.last) feed.last = id;
          yield event;
        }
      }
      // The stream ends with the subscriber's session: checked on every event, and now and then when none comes.
      if (!(await deps.sessions.live(feed.sessionId, userId))) return;
      // A drain that came during the awaits above would never fire the listener below.
      if (feed.inbox.length > 0 || feed.missed || signal.aborted) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, deps.config.securityEventsPollMs);
        signal.addEventListener("abort", done, { once: true });
        feed.wake = done;
        function done() {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          feed.wake = undefined;
          resolve();
        }
      });
    }
  } finally {
    feed.stop();
  }
}
