import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, signUp, startApp, tableCounts, type TestApp } from "./helpers.js";

const signIn = (alias: string) => `${alias}: signInEmailPassword(email: "brute@example.com", password: "guess ${alias}") { __typename }`;

describe.each(DATABASES)("GraphQL hardening (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, {
      recipes: {
        emailpassword: {
          override: {
            functions: (original) => ({
              ...original,
              async signIn(input) {
                if (input.email === "explode@example.com") throw new Error("connection to db at 10.0.0.5 failed: password=hunter2");
                return original.signIn(input);
              },
            }),
          },
        },
      },
    });
    await signUp(app, "brute@example.com");
  });
  afterAll(() => app?.close());

  it("evaluates at most 3 credential-checking fields per request, aliases included", async () => {
    const before = await tableCounts(app);
    const four = await app.gql(`mutation { ${["a", "b", "c", "d"].map(signIn).join(" ")} }`);
    expect(four.data).toBeUndefined();
    expect(four.errors?.[0]?.extensions?.code).toBe("CREDENTIAL_CHECK_LIMIT");
    expect(await tableCounts(app)).toEqual(before); // not one attempt was counted
    const three = await app.gql(`mutation { ${["a", "b", "c"].map(signIn).join(" ")} }`);
    expect(Object.values(three.data).map((value: any) => value.__typename)).toEqual(Array(3).fill("WrongCredentialsError"));
  });

  it("counts credential fields reached through fragments, each spread again", async () => {
    const query = `mutation { ...Two ...Two } fragment Two on Mutation { ${signIn("a")} ${signIn("b")} }`;
    const { errors } = await app.gql(query);
    expect(errors?.[0]?.extensions?.code).toBe("CREDENTIAL_CHECK_LIMIT");
  });

  it("refuses too many aliases", async () => {
    const query = `{ ${Array.from({ length: 16 }, (_, i) => `v${i}: version`).join(" ")} }`;
    const { errors } = await app.gql(query);
    expect(errors?.[0]?.message).toMatch(/aliases/i);
  });

  it("refuses queries that are too deep", async () => {
    const nested = "fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } }";
    const { errors, data } = await app.gql(`{ __type(name: "User") { ${nested} } }`);
    expect(data).toBeUndefined();
    expect(errors?.[0]?.message).toMatch(/depth/i);
  });

  it("refuses documents with too many tokens", async () => {
    const query = `{ ${Array.from({ length: 2100 }, () => "version").join(" ")} }`;
    const { errors } = await app.gql(query);
    expect(errors?.[0]?.message).toMatch(/token/i);
  });

  it("still answers the standard introspection query that codegen sends", async () => {
    const { getIntrospectionQuery } = await import("graphql");
    const { data, errors } = await app.gql(getIntrospectionQuery());
    expect(errors).toBeUndefined();
    expect(data.__schema.types.length).toBeGreaterThan(20);
  });

  it("masks unexpected errors: no message, stack or secret leaks", async () => {
    const response = await app.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `mutation { signInEmailPassword(email: "explode@example.com", password: "${PASSWORD}") { __typename } }` }),
    });
    const text = await response.text();
    expect(text).not.toMatch(/hunter2|10\.0\.0\.5|at .*\.ts/);
    expect(JSON.parse(text).errors[0].message).toBe("Unexpected error.");
  });

  it("turns batching off", async () => {
    const response = await app.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ query: "{ version }" }, { query: "{ version }" }]),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it("refuses GET operations without a CSRF-preventing header", async () => {
    const plain = await app.fetch("/graphql?query=%7Bversion%7D");
    expect(plain.status).toBe(403);
    const withHeader = await app.fetch("/graphql?query=%7Bversion%7D", { headers: { "x-graphql-yoga-csrf": "1" } });
    expect(await withHeader.json()).toEqual({ data: { version: expect.any(String) } });
  });

  it("refuses malformed requests with 4xx, not 500", async () => {
    for (const body of ["", "{", "null", '{"query": 5}', '{"query": "{ version }", "variables": "x"}']) {
      const response = await app.fetch("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(response.status, body).toBeGreaterThanOrEqual(400);
      expect(response.status, body).toBeLessThan(500);
    }
  });

  it("serves GraphiQL in development", async () => {
    const response = await app.fetch("/graphql", { headers: { accept: "text/html" } });
    expect(await response.text()).toMatch(/graphiql/i);
  });

  it("suggests field names in development", async () => {
    const { errors } = await app.gql(`{ versio }`);
    expect(errors?.[0]?.message).toMatch(/Did you mean/);
  });
});

describe.each(DATABASES)("GraphQL hardening in production (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, { env: { NODE_ENV: "production", SMTP_URL: "smtp://127.0.0.1:1" } });
  });
  afterAll(() => app?.close());

  it("gives no field suggestions", async () => {
    const { errors } = await app.gql(`{ versio }`);
    expect(errors?.[0]?.message).not.toMatch(/Did you mean/);
  });

  it("serves no GraphiQL", async () => {
    const response = await app.fetch("/graphql", { headers: { accept: "text/html" } });
    expect(await response.text()).not.toMatch(/graphiql/i);
  });
});
