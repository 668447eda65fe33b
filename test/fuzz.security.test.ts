/**
 * A schema-driven fuzz test: every query and mutation field of the admin schema
 * (the public one plus the admin fields), called with hostile values for every
 * argument (NUL characters, lone surrogates, long strings, ids of the wrong
 * shape, extreme numbers, bad dates, deep JSON) as a stranger, as a signed-in
 * user and as an admin. Nothing may answer 5xx or a masked internal error:
 * bad input is InvalidInputError, another union member, a GraphQL validation
 * error or a plain 4xx, on PGlite and PostgreSQL.
 */
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
} from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, bearer, signUp, startApp, type TestApp } from "./helpers.js";

const SECRET = "fuzz-admin-secret-0123456789abcdef";

/** Hostile strings, each tried in every String and ID argument at once. */
const STRINGS = [
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x".repeat(20_000),
  "not-a-uuid",
  "",
  "../../etc/passwd",
  "%E0%A4%A",
  "' OR 1=1 --",
  "00000000-0000-4000-8000-000000000000",
];

/** Stands for 5,000-deep JSON in the variables; spliced in as text (JSON.stringify itself would overflow the stack). */
const DEEP = { deep: "5000" };
const DEEP_TEXT = `${'{"nested":'.repeat(5000)}0${"}".repeat(5000)}`;

/** A value of `type` built from the hostile string `text`. */
function hostile(type: GraphQLInputType, text: string, round: number): unknown {
  if (isNonNullType(type)) return hostile(type.ofType, text, round);
  if (isListType(type)) return [hostile(type.ofType, text, round)];
  const named = getNamedType(type);
  if (isEnumType(named)) return named.getValues()[round % named.getValues().length]!.value;
  if (isInputObjectType(named)) {
    return Object.fromEntries(Object.values(named.getFields()).map((field) => [field.name, hostile(field.type, text, round)]));
  }
  if (isScalarType(named)) {
    switch (named.name) {
      case "Int":
        return [2_147_483_647, -1, 0][round % 3];
      case "Float":
        return [1e308, -1, 0][round % 3];
      case "Boolean":
        return round % 2 === 0;
      case "JSON":
        return [DEEP, { [text.slice(0, 100)]: text }, text][round % 3];
      case "DateTime":
        return ["not a date", "9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z"][round % 3];
      default:
        return text;
    }
  }
  return text;
}

/** A selection that reads the field whatever it answers. */
function selection(field: GraphQLField<unknown, unknown>): string {
  const named = getNamedType(field.type);
  return "getFields" in named || "getTypes" in named ? "{ __typename }" : "";
}

function operation(kind: "query" | "mutation", field: GraphQLField<unknown, unknown>): string {
  const args = field.args as readonly GraphQLArgument[];
  const variables = args.map((arg) => `$${arg.name}: ${arg.type.toString()}`).join(", ");
  const passed = args.map((arg) => `${arg.name}: $${arg.name}`).join(", ");
  return `${kind}${variables ? `(${variables})` : ""} { ${field.name}${passed ? `(${passed})` : ""} ${selection(field)} }`;
}

// Fields that end the caller's own session or account: fuzzed as a stranger only, so the signed-in passes keep their session.
const ENDS_SESSION = new Set(["signOut", "deleteAccount", "revokeSession", "revokeAllSessions"]);

describe.each(DATABASES)("hostile input on every field (%s)", (kind) => {
  let app: TestApp;
  const callers: Record<string, Record<string, string>> = {};
  beforeAll(async () => {
    app = await startApp(kind, { env: { ADMIN_SECRET: SECRET, ANONYMOUS_USERS: "on" } });
    const { session } = await signUp(app, "fuzzed@example.com", PASSWORD);
    callers.stranger = {};
    callers.user = bearer(session.accessToken);
    callers.admin = { "x-admin-secret": SECRET };
  });
  afterAll(() => app?.close());

  it("answers every field without a 5xx or an internal error", async () => {
    const schema = app.auth.adminSchema;
    const roots = [
      ["query", schema.getQueryType()],
      ["mutation", schema.getMutationType()],
    ] as const;
    const failures: string[] = [];
    let requests = 0;
    for (const [kind, root] of roots) {
      for (const field of Object.values(root!.getFields())) {
        const query = operation(kind, field);
        for (const [who, headers] of Object.entries(callers)) {
          if (who !== "stranger" && ENDS_SESSION.has(field.name)) continue;
          for (const [round, text] of STRINGS.entries()) {
            const variables = Object.fromEntries(field.args.map((arg) => [arg.name, hostile(arg.type, text, round)]));
            const response = await app.fetch("/graphql", {
              method: "POST",
              headers: { "content-type": "application/json", ...headers },
              body: JSON.stringify({ query, variables }).replaceAll(JSON.stringify(DEEP), DEEP_TEXT),
            });
            requests++;
            const body = await response.text();
            const internal = response.status >= 500 || /Unexpected error|Internal|stack|prisma|PrismaClient|postgres/i.test(body);
            if (internal) failures.push(`${who} ${field.name} [${JSON.stringify(text).slice(0, 30)}]: ${response.status} ${body.slice(0, 200)}`);
          }
        }
      }
    }
    expect(requests).toBeGreaterThan(1000);
    expect(failures).toEqual([]);
  });
});
