/**
 * createAuth(options) builds the whole server: shared services, recipes with
 * their overrides, the schema, and a yoga instance that also answers the REST
 * routes. `yoga` is a node:http request listener and has `fetch` for tests and
 * other runtimes; `schema` and `contextFactory` let another yoga server or a
 * gateway embed the API.
 */
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import type { GraphQLSchema } from "graphql";
import type { IncomingMessage } from "node:http";
import { createGraphQLError, createYoga, type GraphQLParams, type Plugin, type YogaServerInstance } from "graphql-yoga";
import { BodyTooLarge, readBody } from "./http.js";
import { requestLogPlugin } from "./observability/request-log.js";
import { ConfigError, loadConfig, StartupError, type Config } from "./config.js";
import { createContext, type Context } from "./context.js";
import { createDeps, type Deps, type DepsOptions } from "./deps.js";
import { RECIPES, createRecipes, type AnyRecipe, type RecipeOptions, type Recipes } from "./recipes/index.js";
import { credentialLimitRule } from "./security/credential-limit.js";
import { hostileValue } from "./security/hostile-input.js";
import { buildSchema } from "./schema/index.js";
import { routes } from "./routes.js";
import { takeCookies } from "./sessions/cookies.js";
import { createAdminApis, mayBeAdmin } from "./admin/service.js";
import { deleteExpired, type HousekeepingResult } from "./db/housekeeping.js";

export interface AuthOptions extends DepsOptions {
  /** Fields that win over the environment. */
  config?: Partial<Config>;
  /** Environment to read (default process.env). */
  env?: Record<string, string | undefined>;
  recipes?: RecipeOptions;
  /** Apply pending migrations while starting (default MIGRATE_ON_START, true). */
  migrate?: boolean;
  /**
   * Embedding next to a host schema with types of the same names (its own
   * `User`, `Session`, `GeneralError`): `auth.schema` names every type with
   * this prefix (`AuthUser`, `AuthSession`, ...). `auth.yoga` always serves
   * the unprefixed contract (schema.graphql).
   */
  typePrefix?: string;
}

export interface Auth {
  config: Config;
  deps: Deps;
  recipes: Recipes;
  /** The public schema, for embedding (with `typePrefix`, its types prefixed). */
  schema: GraphQLSchema;
  /** The schema administrators see: `schema` plus the admin fields. */
  adminSchema: GraphQLSchema;
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  /**
   * What `yoga` adds to the schema, for a host's own yoga server: the REST
   * routes (JWKS, /verify, the provider redirect flow, /healthz, /readyz,
   * /metrics with METRICS=on), the request log, session cookies and the
   * hardening plugins.
   */
  plugins: Plugin[];
  /** Builds the GraphQL context for an embedding server: pass the client's `ip` (or node's `req`) for per-IP limits and session records. */
  contextFactory(initial: { request: Request; ip?: string; req?: IncomingMessage }): Context;
  /** Deletes expired tickets, ended sessions and idle counters now (also runs every HOUSEKEEPING_INTERVAL). */
  housekeeping(): Promise<HousekeepingResult>;
  /** Begins shutdown: /readyz answers 503 and subscriptions end, while requests still in flight finish. */
  drain(): void;
  /** Drains, waits for background work (emails), and closes the database. */
  close(): Promise<void>;
}

/** Request headers a frontend may send: content type, the bearer token, yoga's CSRF header, and tracing. */
const CORS_HEADERS = ["content-type", "authorization", "x-graphql-yoga-csrf", "x-request-id"];

/** Adds the Set-Cookie headers a request's resolvers queued (cookie mode; sessions/cookies.ts) to its response. */
export function sessionCookiePlugin(): Plugin {
  return {
    onResponse({ request, response }) {
      for (const cookie of takeCookies(request)) response.headers.append("set-cookie", cookie);
    },
  };
}

/** A request yoga cannot read as GraphQL parameters: a 400 with yoga's code, never a 500. */
const badRequest = (message: string) => createGraphQLError(message, { extensions: { code: "BAD_REQUEST", http: { status: 400 } } });

/** The parameters of a JSON body, with the answers yoga's own parser gives to JSON that is not an object. */
function jsonParams(text: string): GraphQLParams {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest("POST body sent invalid JSON.");
  }
  if (body === null || typeof body !== "object") throw badRequest(`POST body is expected to be object but received ${body === null ? "null" : typeof body}`);
  return body as GraphQLParams;
}

const JSON_TYPES = ["application/json", "application/graphql+json"];
const isJson = (request: Request) => {
  const type = request.headers.get("content-type")?.split(",")[0]?.split(";")[0]?.trim();
  return type !== undefined && JSON_TYPES.includes(type);
};

/**
 * /graphql bodies are read up to REQUEST_BODY_LIMIT bytes: a declared length over
 * it is refused before reading, a stream growing past it is cancelled (413), so
 * oversized posts cost neither memory nor hashing time. JSON bodies (what every
 * client sends) are parsed here from the text already read; other types go to
 * yoga's parser. A GET's or a form's `variables` that are not JSON answer 400.
 */
export function bodyLimitPlugin(limit: number): Plugin {
  const tooLarge = () => createGraphQLError(`the request body is larger than ${limit} bytes`, { extensions: { http: { status: 413 } } });
  const notJson = (error: unknown) => {
    throw error instanceof SyntaxError ? badRequest("variables and extensions must be JSON") : error;
  };
  return {
    onRequestParse({ request, requestParser, setRequestParser }) {
      if (!requestParser) return;
      if (request.method !== "POST") {
        setRequestParser((incoming) => Promise.resolve(incoming).then(requestParser).catch(notJson));
        return;
      }
      setRequestParser(async (incoming) => {
        const text = await readBody(incoming, limit).catch((error: unknown) => {
          throw error instanceof BodyTooLarge ? tooLarge() : error;
        });
        if (isJson(incoming)) return jsonParams(text);
        return Promise.resolve(new Request(incoming.url, { method: "POST", headers: incoming.headers, body: text }))
          .then(requestParser)
          .catch(notJson);
      });
    },
  };
}

/**
 * Escapes in the document's string literals that would decode to the same: a
 * NUL (\u0000, \u{0}), or a surrogate escape not part of a pair.
 */
const HOSTILE_ESCAPE =
  /\\u0000|\\u\{0+\}|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}/;

function hostileInputPlugin(): Plugin {
  return {
    onParams({ params }) {
      const problem =
        typeof params.query === "string" && HOSTILE_ESCAPE.test(params.query)
          ? "input contains a NUL character or invalid Unicode"
          : hostileValue([params.query ?? null, params.variables ?? null]);
      if (problem) throw createGraphQLError(problem, { extensions: { code: "BAD_USER_INPUT", http: { status: 400 } } });
    },
  };
}

export function hardeningPlugins(config: Config): Plugin[] {
  return [
    bodyLimitPlugin(config.requestBodyLimit),
    hostileInputPlugin(),
    EnvelopArmorPlugin({
      maxDepth: { n: 10 },
      maxAliases: { n: 15 },
      maxDirectives: { n: 20 },
      maxTokens: { n: 2000 },
      costLimit: { maxCost: 5000 },
      blockFieldSuggestion: { enabled: config.production },
    }) as Plugin,
    {
      onValidate({ addValidationRule }) {
        addValidationRule(credentialLimitRule(config.maxCredentialChecksPerRequest));
      },
    },
    useCSRFPrevention({ requestHeaders: ["x-graphql-yoga-csrf", "authorization"] }) as Plugin,
  ];
}

/**
 * `GET /metrics`: the auth counters and GraphQL latency on one registry.
 * Labels stay bounded: no operation names or URLs (clients choose those).
 */
async function metricsPlugin(deps: Deps): Promise<Plugin> {
  // Loaded only with METRICS=on: the plugin and its dependencies are megabytes of heap.
  const { usePrometheus } = await import("@graphql-yoga/plugin-prometheus");
  return usePrometheus({
    registry: deps.metrics.registry,
    endpoint: "/metrics",
    labels: { operationName: false, fieldName: false, typeName: false, path: false, url: false },
    metrics: {
      graphql_yoga_http_duration: true,
      graphql_envelop_request: true,
      graphql_envelop_request_duration: true,
      graphql_envelop_phase_parse: true,
      graphql_envelop_phase_validate: true,
      graphql_envelop_phase_context: true,
      graphql_envelop_phase_execute: true,
      graphql_envelop_error_result: true,
      graphql_envelop_request_time_summary: false,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_schema_change: false,
      graphql_envelop_phase_subscribe: false,
    },
  }) as Plugin;
}

/**
 * The schema with every named type prefixed, delegating to the original, so
 * resolvers, unions and `__typename` all answer the prefixed names. Built-in
 * scalars and the federation types (`_Any`, `_Entity`, `_Service`) keep theirs.
 */
async function prefixTypes(schema: GraphQLSchema, prefix: string): Promise<GraphQLSchema> {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(prefix)) throw new ConfigError(`typePrefix must be a GraphQL name in PascalCase, e.g. "Auth" (got "${prefix}")`);
  // Only embedding with a prefix needs schema wrapping (and its delegation machinery).
  const { RenameTypes, wrapSchema } = await import("@graphql-tools/wrap");
  const keep = new Set(["String", "Int", "Float", "Boolean", "ID", "Query", "Mutation", "Subscription"]);
  return wrapSchema({ schema, transforms: [new RenameTypes((name) => (keep.has(name) || name.startsWith("_") ? name : `${prefix}${name}`))] });
}

/** Reaches the database, migrates it (unless told not to), and makes sure the default tenant exists. */
async function prepareDatabase(deps: Deps, migrate: boolean): Promise<void> {
  await deps.db.ping().catch((error: unknown) => {
    const reason = (error as { meta?: { message?: string } }).meta?.message ?? (error as Error).message;
    throw new StartupError(`could not reach the database: ${reason}`, { cause: error });
  });
  if (migrate) {
    const applied = await deps.db.migrate();
    if (applied.length > 0) deps.logger.info({ applied }, "applied database migrations");
  }
  await deps.tenants.ensureDefault().catch((error: unknown) => {
    if (migrate) throw error;
    throw new StartupError("the database is not migrated: run `npm run migrate` first (MIGRATE_ON_START=false skips migrating at start)", { cause: error });
  });
}

export async function createAuth(options: AuthOptions = {}): Promise<Auth> {
  const config = loadConfig(options.env ?? process.env, options.config);
  const deps = await createDeps(config, options);
  try {
    await prepareDatabase(deps, options.migrate ?? config.migrateOnStart);
  } catch (error) {
    if (!options.database) await deps.db.close().catch(() => {});
    throw error;
  }
  const recipes = createRecipes(deps, options.recipes);
  const schema = buildSchema(recipes, config);
  // Built when first needed: most servers never see an administrator, and a schema is megabytes.
  let adminSchema: GraphQLSchema | undefined;
  const getAdminSchema = () => (adminSchema ??= buildSchema(recipes, config, createAdminApis(deps, recipes.functions.emailpassword)));
  const contextFactory = (initial: { request: Request; ip?: string; req?: IncomingMessage }) => createContext(deps, initial as never);
  const plugins: Plugin[] = [
    requestLogPlugin(config, deps.logger),
    ...(config.metrics ? [await metricsPlugin(deps)] : []),
    ...hardeningPlugins(config),
    sessionCookiePlugin(),
    routes(deps, recipes),
  ];
  const yoga = createYoga<Record<string, unknown>, Context>({
    // Administrators see (and introspect) the admin fields; everyone else does not.
    schema: ({ request }) =>
      request.headers.has("x-admin-secret") || request.headers.has("authorization")
        ? mayBeAdmin(deps, request).then((admin) => (admin ? getAdminSchema() : schema))
        : schema,
    context: (initial) => createContext(deps, initial as never),
    // Only the configured frontends get CORS (with credentials): other origins get no grant at all.
    cors: (request) => {
      const origin = request.headers.get("origin");
      return origin !== null && config.corsOrigins.includes(origin)
        ? { origin, credentials: true, methods: ["GET", "POST", "OPTIONS"], allowedHeaders: CORS_HEADERS, maxAge: 600 }
        : false;
    },
    graphiql: !config.production,
    // Served whole by this server (no CDN), so it renders on a machine without internet. Loaded
    // on first use: the bundle is some 30 MB of heap that a production server never needs.
    renderGraphiQL: async (options) => (await import("@graphql-yoga/render-graphiql")).renderGraphiQL(options),
    landingPage: false,
    maskedErrors: true,
    batching: false,
    // bodyLimitPlugin enforces REQUEST_BODY_LIMIT (far below yoga's 25 MB) while it reads the
    // body; yoga's own limit would pipe every body through one more stream and Request.
    maxRequestBodySize: false,
    logging: {
      debug: (...args) => deps.logger.debug(args.map(String).join(" ")),
      info: (...args) => deps.logger.info(args.map(String).join(" ")),
      warn: (...args) => deps.logger.warn(args.map(String).join(" ")),
      error: (...args) => deps.logger.error({ err: args.find((arg) => arg instanceof Error) }, args.map(String).join(" ")),
    },
    plugins,
  });
  const housekeeping = async (): Promise<HousekeepingResult> => {
    const deleted = await deleteExpired(deps.prisma, deps.clock);
    for (const recipe of RECIPES as readonly AnyRecipe[]) Object.assign(deleted, await recipe.housekeeping?.(deps));
    return deleted;
  };
  const timer =
    config.housekeepingIntervalSeconds > 0
      ? setInterval(() => {
          housekeeping().then(
            (deleted) => deps.logger.debug({ deleted }, "housekeeping"),
            (error: unknown) => deps.logger.warn({ err: error }, "housekeeping failed"),
          );
        }, config.housekeepingIntervalSeconds * 1000).unref()
      : undefined;
  return {
    config,
    deps,
    recipes,
    schema: options.typePrefix ? await prefixTypes(schema, options.typePrefix) : schema,
    get adminSchema() {
      return getAdminSchema();
    },
    yoga,
    plugins,
    contextFactory,
    housekeeping,
    drain() {
      deps.lifecycle.drain();
    },
    async close() {
      deps.lifecycle.drain();
      clearInterval(timer);
      await deps.idle();
      await deps.securityEventBus.close();
      await deps.db.close();
    },
  };
}
