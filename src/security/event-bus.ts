/**
 * Wakes `securityEvents` subscribers when their user's audit event commits, on
 * any server process: a trigger on "AuditEvent" notifies `auth_audit_event`
 * with the event's id and user (migration audit_event_notify), and each
 * process listens on one connection, opened when its first subscriber comes.
 * Notifications arrive in commit order, so a subscriber hears every committed
 * event, in the order it committed, even when ids commit out of order.
 */
import type { Database } from "../db/database.js";

export const AUDIT_CHANNEL = "auth_audit_event";

export interface SecurityEventListener {
  /** A new event of the user's committed. */
  event(id: bigint): void;
  /** Notifications may have been missed (the listening connection came back): read what is new. */
  gap(): void;
}

export interface SecurityEventBus {
  /** Resolves once listening, with the function that stops this listener. */
  subscribe(userId: string, listener: SecurityEventListener): Promise<() => void>;
  close(): Promise<void>;
}

export function createSecurityEventBus(db: Database): SecurityEventBus {
  const listeners = new Map<string, Set<SecurityEventListener>>();
  let listening: Promise<() => Promise<void>> | undefined;
  const dispatch = (payload: string) => {
    const [id, userId] = payload.split(" ");
    if (!id || !/^\d+$/.test(id) || !userId) return;
    for (const listener of listeners.get(userId) ?? []) listener.event(BigInt(id));
  };
  const gap = () => {
    for (const group of listeners.values()) for (const listener of group) listener.gap();
  };
  return {
    async subscribe(userId, listener) {
      if (!listening) {
        const started = db.listen(AUDIT_CHANNEL, dispatch, gap);
        listening = started;
        started.catch(() => {
          if (listening === started) listening = undefined; // the next subscriber tries again
        });
      }
      await listening;
      const group = listeners.get(userId) ?? new Set();
      listeners.set(userId, group.add(listener));
      return () => {
        group.delete(listener);
        if (group.size === 0 && listeners.get(userId) === group) listeners.delete(userId);
      };
    },
    async close() {
      const started = listening;
      listening = undefined;
      const stop = await started?.catch(() => undefined);
      await stop?.();
    },
  };
}
