/** Small helpers the REST routes share: JSON answers, 400s, and redirects that land on an allow-listed page. */
import type { Config } from "./config.js";
import { ERROR_STATUSES, type ErrorStatus } from "./results.js";
import { refreshCookie } from "./sessions/cookies.js";

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

export const badRequest = (error: string) => json({ error }, 400);

export const redirect = (location: URL, headers: Record<string, string> = {}) =>
  new Response(null, { status: 302, headers: { location: location.toString(), "cache-control": "no-store", ...headers } });

/**
 * Where a redirect flow lands: the allow-listed redirectTo, with the outcome in
 * the query. The landing URL may carry a ticket or (bearer mode) a refresh
 * token: no-referrer keeps it out of the next page's Referer.
 */
export function landing(redirectTo: string, outcome: Record<string, string>, headers: Record<string, string> = {}): Response {
  const target = new URL(redirectTo);
  for (const [name, value] of Object.entries(outcome)) target.searchParams.set(name, value);
  return redirect(target, { "referrer-policy": "no-referrer", ...headers });
}

/** A redirect flow that opened a session: the refresh token in the URL (bearer mode) or in the session cookie (cookie mode). */
export function sessionLanding(config: Config, redirectTo: string, outcome: Record<string, string>, refreshToken: string): Response {
  return config.sessionCookies
    ? landing(redirectTo, outcome, { "set-cookie": refreshCookie(config, refreshToken) })
    : landing(redirectTo, { ...outcome, refreshToken });
}

/** A failure's text for a landing page: its message or reason, else its status's default message. */
export function describeFailure(result: { status: ErrorStatus; message?: unknown; reason?: unknown }): string {
  if (result.status === "INVALID_INPUT_ERROR") return "invalid request";
  if (typeof result.message === "string") return result.message;
  return typeof result.reason === "string" ? result.reason : ERROR_STATUSES[result.status].message;
}

/** A body past a route's limit: answered 413, and never read further. */
export class BodyTooLarge extends Error {
  constructor(limit: number) {
    super(`the request body is larger than ${limit} bytes`);
  }
}

/**
 * The body as text, reading at most `limit` bytes: a declared length over it is
 * refused before reading, and a stream that grows past it is cancelled, so a
 * huge body costs no memory.
 */
export async function readBody(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw new BodyTooLarge(limit);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge(limit);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}
