/**
 * A short-lived, per-process cache of live sessions and their users, for the
 * read path (`me`): a client asks "who am I" far more often than anything
 * changes, and the database round trip costs more than the rest of the request.
 *
 * Changes made through this process (sign-out, revocation, password or email
 * changes) evict at once. Changes made by another process are seen within
 * `ttlSeconds` (SESSION_CACHE_TTL; 0 turns the cache off). Mutations and
 * elevated operations never read from it.
 */
import type { Clock } from "../clock.js";
import type { LiveSession } from "./service.js";

export type CachedViewer = LiveSession;

export interface ViewerCache {
  get(sessionId: string): CachedViewer | undefined;
  set(sessionId: string, viewer: CachedViewer): void;
  forgetSession(sessionId: string): void;
  forgetUser(userId: string): void;
}

// Bounded so a flood of distinct sessions cannot grow memory without limit.
const MAX_ENTRIES = 50_000;

export function createViewerCache(clock: Clock, ttlSeconds: number): ViewerCache {
  const entries = new Map<string, CachedViewer & { until: number }>();
  return {
    get(sessionId) {
      const entry = entries.get(sessionId);
      if (!entry) return undefined;
      if (entry.until > clock.now().getTime()) return entry;
      entries.delete(sessionId);
      return undefined;
    },
    set(sessionId, viewer) {
      if (ttlSeconds <= 0) return;
      if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
      entries.set(sessionId, { ...viewer, until: clock.now().getTime() + ttlSeconds * 1000 });
    },
    forgetSession(sessionId) {
      entries.delete(sessionId);
    },
    forgetUser(userId) {
      for (const [sessionId, entry] of entries) if (entry.user.id === userId) entries.delete(sessionId);
    },
  };
}
