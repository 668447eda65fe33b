/**
 * Cookie mode (SESSION_COOKIES=on, API.md "Browser apps"): the refresh token
 * lives in an httpOnly cookie the page's scripts cannot read, never in a body
 * or a URL. Every result carrying a session sets it; refreshSession and signOut
 * without a token argument read it, and only for a request from an allowed
 * page (its Origin: a configured frontend or this server), so another site can
 * neither rotate nor end the session. The access token stays in the body: the
 * page keeps it in memory and sends it as a Bearer token.
 *
 * Cookies are read and written with `cookie` (jshttp), never by hand.
 */
import { parse, serialize, type SerializeOptions } from "cookie";
import type { Config } from "../config.js";

/** Set-Cookie headers a request's handlers asked for, added to its response by `sessionCookiePlugin`. */
const pending = new WeakMap<Request, string[]>();

export function queueCookie(request: Request, header: string): void {
  const list = pending.get(request);
  if (list) list.push(header);
  else pending.set(request, [header]);
}

/** The headers queued for this request (and forgets them). */
export function takeCookies(request: Request): string[] {
  const list = pending.get(request) ?? [];
  pending.delete(request);
  return list;
}

function options(config: Config, maxAge: number): SerializeOptions {
  const { sameSite, secure } = config.sessionCookie;
  // Path=/ so it reaches /graphql and the refresh routes wherever a host mounts them; `__Host-` names require it.
  return { httpOnly: true, secure, sameSite, path: "/", maxAge };
}

/** Sets the refresh-token cookie (living as long as the refresh token may idle). */
export function refreshCookie(config: Config, refreshToken: string): string {
  return serialize(config.sessionCookie.name, refreshToken, options(config, config.refreshTokenTtlSeconds));
}

export function clearedRefreshCookie(config: Config): string {
  return serialize(config.sessionCookie.name, "", options(config, 0));
}

/** The refresh token in the request's cookie, when cookie mode is on and it holds one. */
export function refreshTokenOf(config: Config, request: Request): string | null {
  if (!config.sessionCookies) return null;
  const header = request.headers.get("cookie");
  if (!header) return null;
  const value = parse(header)[config.sessionCookie.name];
  return value && value.length <= 512 ? value : null;
}

/**
 * Whether a request may act with the session cookie: it comes from a page on an
 * allowed origin. Browsers send Origin on every cross-origin request and every
 * POST; a request without one (not a browser, or a GET navigation) may not.
 */
export function fromAllowedOrigin(config: Config, request: Request): boolean {
  const origin = request.headers.get("origin");
  return origin !== null && (config.corsOrigins.includes(origin) || origin === new URL(config.publicUrl).origin);
}

/**
 * The OAuth binding cookie: a random value whose hash the authorization's state
 * keeps, checked at the callback (RFC 9700 §4.7, login CSRF), so a callback URL
 * prepared in an attacker's browser does nothing in a victim's. On https it is
 * SameSite=None, since providers may answer by a cross-site form POST
 * (response_mode=form_post); on http (development) Lax.
 */
const bindingName = (config: Config) => (config.sessionCookie.secure ? "__Host-auth_oauth_binding" : "auth_oauth_binding");

export function bindingCookie(config: Config, value: string | null): string {
  const { secure } = config.sessionCookie;
  return serialize(bindingName(config), value ?? "", {
    httpOnly: true,
    secure,
    sameSite: secure ? "none" : "lax",
    path: "/",
    maxAge: value ? config.thirdParty.stateTtlSeconds : 0,
  });
}

export function bindingOf(config: Config, request: Request): string | null {
  const header = request.headers.get("cookie");
  const value = header ? parse(header)[bindingName(config)] : undefined;
  return value && value.length <= 128 ? value : null;
}
