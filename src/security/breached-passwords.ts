/**
 * The optional breached-password check (NIST SP 800-63B §3.1.1.2: refuse values
 * known from breaches), by k-anonymity in the shape of Have I Been Pwned's range
 * API: only the first 5 hex characters of the password's SHA-1 leave the server;
 * the service answers every suffix it knows for that prefix (`SUFFIX:COUNT` per
 * line), and the match is made here. Off unless PASSWORD_BREACH_CHECK_URL is set.
 * It fails open: an unreachable or slow service lets the password through, with
 * a logged warning, so an outage elsewhere cannot stop sign-ups.
 */
import { createHash } from "node:crypto";
import type { Logger } from "pino";

export interface BreachedPasswords {
  /** Whether the password appears in the service's breach corpus (false when the check is off or fails). */
  isBreached(password: string): Promise<boolean>;
}

// A sign-up should not wait long for a third party.
const TIMEOUT_MS = 2000;
// The range API's answer for one prefix is ~30 KiB; anything far larger is not it.
const MAX_BODY_BYTES = 1024 * 1024;

export function createBreachedPasswords(options: { url: string | null; logger: Logger; timeoutMs?: number }): BreachedPasswords {
  const { url, logger, timeoutMs = TIMEOUT_MS } = options;
  if (!url) return { isBreached: async () => false };
  const base = url.endsWith("/") ? url : `${url}/`;
  return {
    async isBreached(password) {
      const hash = createHash("sha1").update(password, "utf8").digest("hex").toUpperCase();
      const prefix = hash.slice(0, 5);
      const suffix = hash.slice(5);
      try {
        // Padding hides from observers how many suffixes the prefix has.
        const response = await fetch(`${base}${prefix}`, { headers: { "add-padding": "true" }, signal: AbortSignal.timeout(timeoutMs) });
        if (!response.ok) throw new Error(`the breached-password service answered ${response.status}`);
        const body = await response.text();
        if (body.length > MAX_BODY_BYTES) throw new Error("the breached-password service answered too much");
        return body.split(/\r?\n/).some((line) => {
          const [candidate, count] = line.trim().split(":");
          return candidate?.toUpperCase() === suffix && Number(count) > 0; // padding lines count 0
        });
      } catch (error) {
        logger.warn({ err: error }, "breached-password check unavailable; accepting the password (fail open)");
        return false;
      }
    },
  };
}
