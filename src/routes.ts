/** The REST routes beside /graphql: JWKS, health and version. */
import type { Plugin } from "graphql-yoga";
import type { Deps } from "./deps.js";
import { VERSION } from "./version.js";

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

export function routes(deps: Deps): Plugin {
  const handlers: Record<string, (request: Request) => Promise<Response> | Response> = {
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
