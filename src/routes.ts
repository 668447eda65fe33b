/** The REST routes beside /graphql: JWKS, health, version, and ticket links (/verify). */
import type { Plugin } from "graphql-yoga";
import { createContext } from "./context.js";
import type { Deps } from "./deps.js";
import type { Recipes } from "./recipes/apis.js";
import { ERROR_STATUSES, type ErrorStatus } from "./schema/results.js";
import { DEFAULT_TENANT } from "./tenants/tenants.js";
import { isAllowedRedirect } from "./validation.js";
import { VERSION } from "./version.js";

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

export function routes(deps: Deps, recipes: Recipes): Plugin {
  const handlers: Record<string, (request: Request) => Promise<Response> | Response> = {
    "GET /verify": (request) => verifyTicket(deps, recipes, request),
    "GET /.well-known/jwks.json": async () => json(await deps.keys.jwks(), 200, { "cache-control": "public, max-age=300" }),
    "GET /version": () => json({ version: VERSION }),
    "GET /healthz": () => health(deps, false),
    "HEAD /healthz": () => health(deps, true),
  };
  return {
    async onRequest({ request, url, endResponse }) {
      const handler = handlers[`${request.method} ${url.pathname}`];
      if (handler) endResponse(await handler(request));
    },
  };
}

async function health(deps: Deps, head: boolean): Promise<Response> {
  let ok = false;
  try {
    await Promise.race([
      deps.prisma.$queryRaw`SELECT 1`,
      new Promise((_, reject) => setTimeout(() => reject(new Error("database did not answer within 2 s")), 2000).unref()),
    ]);
    ok = true;
  } catch (error) {
    deps.logger.warn({ err: error }, "health check failed");
  }
  const status = ok ? 200 : 503;
  return head ? new Response(null, { status }) : json({ status: ok ? "ok" : "unavailable", database: ok }, status);
}

const redirect = (location: URL) => new Response(null, { status: 302, headers: { location: location.toString(), "cache-control": "no-store" } });

/**
 * GET /verify?type=&ticket=&redirectTo=: spends an emailed ticket and redirects
 * to the allow-listed redirectTo with the outcome in the query, as Nhost does:
 * `refreshToken` and `type` on success, `mfaTicket` when a second factor is
 * needed, `error` and `errorDescription` otherwise.
 * Handles `signinPasswordless` (magic links with PASSWORDLESS_LINK_TARGET=server).
 */
async function verifyTicket(deps: Deps, recipes: Recipes, request: Request): Promise<Response> {
  const query = new URL(request.url).searchParams;
  const redirectTo = query.get("redirectTo") ?? deps.config.clientUrl;
  if (!isAllowedRedirect(deps.config, redirectTo)) {
    return new Response(JSON.stringify({ error: "redirectTo is not an allowed redirect URL" }), { status: 400, headers: { "content-type": "application/json" } });
  }
  const target = new URL(redirectTo);
  const fail = (error: ErrorStatus | "INVALID_REQUEST", description: string) => {
    target.searchParams.set("error", error);
    target.searchParams.set("errorDescription", description);
    return redirect(target);
  };
  const type = query.get("type");
  const consume = recipes.apis.passwordless.consumeCode;
  if (type !== "signinPasswordless" || !consume) return fail("INVALID_REQUEST", `unsupported ticket type "${String(type).slice(0, 40)}"`);
  const ticket = query.get("ticket");
  const preAuthSessionId = query.get("preAuthSessionId");
  if (!ticket || !preAuthSessionId) return fail("INVALID_REQUEST", "ticket and preAuthSessionId are required");
  const ctx = createContext(deps, { request } as never);
  const result = await consume({ preAuthSessionId, linkCode: ticket, tenantId: query.get("tenantId") ?? DEFAULT_TENANT }, ctx);
  if (result.status === "MFA_REQUIRED") {
    // The frontend finishes with verifySignInMfaTotp(ticket: mfaTicket, totp).
    target.searchParams.set("mfaTicket", result.ticket);
    target.searchParams.set("type", type);
    return redirect(target);
  }
  if (result.status !== "OK") {
    return fail(result.status, result.status === "INVALID_INPUT_ERROR" ? "invalid request" : ERROR_STATUSES[result.status].message);
  }
  target.searchParams.set("refreshToken", result.session.refreshToken);
  target.searchParams.set("type", type);
  return redirect(target);
}
