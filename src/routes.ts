/**
 * The REST routes beside /graphql: JWKS, health, version, ticket links (/verify)
 * and the recipes' own routes (the provider redirect flow). The flows call the
 * same recipe APIs as the GraphQL fields, with the request's own context (client
 * IP, user agent), so disabled APIs, tenant policy, MFA, limits and audit apply alike.
 */
import type { Plugin } from "graphql-yoga";
import type { IncomingMessage } from "node:http";
import { createContext, type Context } from "./context.js";
import type { Deps } from "./deps.js";
import { BodyTooLarge, badRequest, describeFailure, json, landing, sessionLanding } from "./http.js";
import type { LinkHandler } from "./recipes/definition.js";
import type { EnabledApis } from "./recipes/override.js";
import { RECIPES, apisOf, type AnyRecipe, type Recipes } from "./recipes/index.js";
import { DEFAULT_TENANT } from "./tenants/tenants.js";
import { hostileValue } from "./security/hostile-input.js";
import { isAllowedRedirect } from "./validation.js";
import { VERSION } from "./version.js";

type Handler = (request: Request, ctx: () => Context) => Promise<Response> | Response;

export function routes(deps: Deps, recipes: Recipes): Plugin {
  const definitions = RECIPES as readonly AnyRecipe[];
  // Every ticket type a recipe spends, with the APIs it spends it through.
  const links = new Map(
    definitions.flatMap((recipe) =>
      Object.entries(recipe.links ?? {}).map(([type, handle]) => [type, { handle: handle as LinkHandler<any>, apis: apisOf(recipes, recipe) }] as const),
    ),
  );
  const recipeRoutes = definitions.flatMap((recipe) => (recipe.routes ?? []).map((route) => ({ route, apis: apisOf(recipes, recipe) })));
  const handlers: Record<string, Handler> = {
    "GET /verify": (request, ctx) => verifyTicket(deps, links, request, ctx()),
    "GET /.well-known/jwks.json": async () => json(await deps.keys.jwks(), 200, { "cache-control": "public, max-age=300" }),
    "GET /version": () => json({ version: VERSION }),
    "GET /healthz": () => health(deps, false),
    "HEAD /healthz": () => health(deps, true),
    "GET /readyz": () => readiness(deps, false),
    "HEAD /readyz": () => readiness(deps, true),
  };
  return {
    async onRequest({ request, url, endResponse, serverContext }) {
      // The same context a GraphQL request gets: the node request carries the client's address.
      const ctx = () => createContext(deps, { request, req: (serverContext as { req?: IncomingMessage } | undefined)?.req } as never);
      const handler = handlers[`${request.method} ${url.pathname}`];
      if (handler) return endResponse(await answered(deps, () => handler(request, ctx), url));
      for (const { route, apis } of recipeRoutes) {
        const match = route.path.exec(url.pathname);
        if (match && route.methods.includes(request.method)) {
          return endResponse(await answered(deps, () => route.handle({ request, match, apis, deps, ctx: ctx() }), url));
        }
      }
    },
  };
}

/**
 * A route's answer, in every mode without a stack, a path or a database message:
 * malformed input (a bad percent-escape, a NUL byte, an oversized body) is a
 * plain 400 or 413, anything else a logged 500 with a generic body.
 */
async function answered(deps: Deps, handle: () => Promise<Response> | Response, url: URL): Promise<Response> {
  // What GraphQL refuses for the whole request (hostile-input.ts), REST refuses too: NUL, lone surrogates.
  const hostile = hostileValue([...url.searchParams.entries()]);
  if (hostile) return badRequest(hostile);
  try {
    // In flight until it settles, also when the client hangs up (lifecycle.ts).
    return await deps.lifecycle.track(Promise.resolve().then(handle));
  } catch (error) {
    if (error instanceof URIError) return badRequest("malformed percent-encoding in the URL");
    if (error instanceof BodyTooLarge) return json({ error: error.message }, 413);
    deps.logger.error({ err: error }, "a REST route failed");
    return json({ error: "internal error" }, 500);
  }
}

/** Liveness: the process answers and reaches its database. */
async function health(deps: Deps, head: boolean): Promise<Response> {
  const ok = await databaseAnswers(deps);
  const status = ok ? 200 : 503;
  return head ? new Response(null, { status }) : json({ status: ok ? "ok" : "unavailable", database: ok }, status);
}

/**
 * Readiness: send this process work. It is migrated (it would not have
 * started otherwise), its database answers, and it is not draining.
 */
async function readiness(deps: Deps, head: boolean): Promise<Response> {
  const state = deps.lifecycle.draining ? "draining" : (await databaseAnswers(deps)) ? "ready" : "unavailable";
  const status = state === "ready" ? 200 : 503;
  return head ? new Response(null, { status }) : json({ status: state }, status);
}

async function databaseAnswers(deps: Deps): Promise<boolean> {
  try {
    await Promise.race([deps.db.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error("database did not answer within 2 s")), 2000).unref())]);
    return true;
  } catch (error) {
    deps.logger.warn({ err: error }, "health check failed");
    return false;
  }
}

/**
 * GET /verify?type=&ticket=&redirectTo=: spends an emailed ticket through the API
 * of the recipe that issued it and redirects to the allow-listed redirectTo with
 * the outcome in the query, as Nhost does: `refreshToken` and `type` on success,
 * `mfaTicket` when a second factor is needed, `error` and `errorDescription` otherwise.
 */
async function verifyTicket(
  deps: Deps,
  links: Map<string, { handle: LinkHandler<any>; apis: EnabledApis<any> }>,
  request: Request,
  ctx: Context,
): Promise<Response> {
  const query = new URL(request.url).searchParams;
  const redirectTo = query.get("redirectTo") ?? deps.config.clientUrl;
  if (!isAllowedRedirect(deps.config, redirectTo)) return badRequest("redirectTo is not an allowed redirect URL");
  const type = query.get("type") ?? "";
  const ticket = query.get("ticket");
  const failed = (description: string) => landing(redirectTo, { error: "INVALID_REQUEST", errorDescription: description });
  if (!ticket) return failed("ticket is required");
  const link = links.get(type);
  const result = link ? await link.handle(link.apis, { ticket, tenantId: query.get("tenantId") ?? DEFAULT_TENANT, query }, ctx) : null;
  // Unknown, or spent by an API the embedder disabled.
  if (!result) return failed(`unsupported ticket type "${type.slice(0, 40)}"`);
  // The frontend finishes with the ticket: a second factor (mfaTicket), or enrolling one first (mfaEnrolmentTicket).
  if (result.status === "MFA_REQUIRED") return landing(redirectTo, { type, mfaTicket: result.ticket });
  if (result.status === "MFA_ENROLMENT_REQUIRED") return landing(redirectTo, { type, mfaEnrolmentTicket: result.ticket });
  if (result.status !== "OK") return landing(redirectTo, { type, error: result.status, errorDescription: describeFailure(result) });
  // Without a session (an email change, or a tenant that offers no sign-in by address) the link only confirms.
  return result.session ? sessionLanding(deps.config, redirectTo, { type }, result.session.refreshToken) : landing(redirectTo, { type });
}
