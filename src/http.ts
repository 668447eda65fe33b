/** Small helpers the REST routes share: JSON answers, 400s, and redirects that land on an allow-listed page. */
import { ERROR_STATUSES, type ErrorStatus } from "./results.js";

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

export const badRequest = (error: string) => json({ error }, 400);

export const redirect = (location: URL) => new Response(null, { status: 302, headers: { location: location.toString(), "cache-control": "no-store" } });

/** Where a redirect flow lands: the allow-listed redirectTo, with the outcome in the query. */
export function landing(redirectTo: string, outcome: Record<string, string>): Response {
  const target = new URL(redirectTo);
  for (const [name, value] of Object.entries(outcome)) target.searchParams.set(name, value);
  return redirect(target);
}

/** A failure's text for a landing page: its message or reason, else its status's default message. */
export function describeFailure(result: { status: ErrorStatus; message?: unknown; reason?: unknown }): string {
  if (result.status === "INVALID_INPUT_ERROR") return "invalid request";
  if (typeof result.message === "string") return result.message;
  return typeof result.reason === "string" ? result.reason : ERROR_STATUSES[result.status].message;
}
