import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, SIGN_IN, SIGN_UP, signUp, startApp, tableCounts, type TestApp } from "./helpers.js";

describe.each(DATABASES)("bad input (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
    await signUp(app, "existing@example.com");
  });
  afterAll(() => app?.close());

  /** The HTTP status of a request refused whole (with a GraphQL error and no data). */
  async function refused(query: string, variables: object): Promise<number> {
    const response = await app.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0]?.message).toMatch(/NUL|Unicode|larger than/);
    return response.status;
  }

  it("answers a malformed request body with a 400 and a GraphQL error, in every content type", async () => {
    const post = async (body: string, contentType = "application/json") => {
      // The CSRF header lets a form-encoded post through (without it: 403).
      const headers = { "content-type": contentType, "x-graphql-yoga-csrf": "1" };
      const response = await app.fetch("/graphql", { method: "POST", headers, body });
      const answer = await response.json();
      return { status: response.status, message: String(answer.errors?.[0]?.message), data: answer.data };
    };
    const malformed: Record<string, RegExp> = {
      "{": /invalid JSON/,
      "": /invalid JSON/,
      null: /expected to be object/,
      "5": /expected to be object/,
      '"query"': /expected to be object/,
      "[]": /Batching/,
      '[{"query":"{ __typename }"}]': /Batching/,
      '{"query":5}': /"query" param/,
      '{"query":"{ __typename }","variables":"x"}': /"variables" param/,
    };
    for (const [body, message] of Object.entries(malformed)) {
      const answer = await post(body);
      expect(answer, body).toMatchObject({ status: 400, data: undefined, message: expect.stringMatching(message) });
    }
    expect(await post("{}")).toMatchObject({ data: undefined, message: "Must provide query string." });
    expect((await post("{", "application/graphql+json")).status).toBe(400);
    // Variables that are not JSON, in a form post or a GET's query string.
    expect(await post("query=%7B__typename%7D&variables=x", "application/x-www-form-urlencoded")).toMatchObject({
      status: 400,
      message: expect.stringMatching(/JSON/),
    });
    for (const search of ["variables=x", "extensions=%7B"]) {
      const response = await app.fetch(`/graphql?query=%7B__typename%7D&${search}`, { headers: { "x-graphql-yoga-csrf": "1" } });
      expect(response.status, search).toBe(400);
      expect((await response.json()).errors[0].message, search).toMatch(/JSON/);
    }
    // Every content type a client may use still parses.
    for (const contentType of ["application/json", "application/json; charset=utf-8", "application/graphql+json"]) {
      expect((await post('{"query":"{ __typename }"}', contentType)).data, contentType).toEqual({ __typename: "Query" });
    }
    expect((await post("query=%7B%20__typename%20%7D", "application/x-www-form-urlencoded")).data).toEqual({ __typename: "Query" });
  });

  it("answers wrong types with GraphQL validation errors and changes nothing", async () => {
    const before = await tableCounts(app);
    const inline = await app.gql(`mutation { signUpEmailPassword(email: 5, password: true) { __typename } }`);
    expect(inline.data).toBeUndefined();
    expect(inline.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    for (const variables of [
      { email: { nested: 1 }, password: PASSWORD },
      { email: null, password: PASSWORD },
      { email: "x@example.com", password: ["a"] },
      { email: "x@example.com", password: PASSWORD, options: { unknownOption: 1 } },
    ]) {
      const result = await app.gql(SIGN_UP, variables);
      expect(result.data, JSON.stringify(variables)).toBeUndefined();
      expect(result.errors?.length).toBeGreaterThan(0);
    }
    expect(await tableCounts(app)).toEqual(before);
  });

  it("answers empty, huge and non-text strings with InvalidInputError and changes nothing", async () => {
    const before = await tableCounts(app);
    const cases: Array<Record<string, unknown>> = [
      { email: "", password: PASSWORD },
      { email: "a".repeat(100_000) + "@example.com", password: PASSWORD },
      { email: "new@example.com", password: "" },
      { email: "new@example.com", password: "p".repeat(5_000) },
      { email: "new@example.com", password: PASSWORD, options: { displayName: "n".repeat(10_000) } },
      { email: "new@example.com", password: PASSWORD, options: { metadata: { big: "m".repeat(20_000) } } },
      { email: "new@example.com", password: PASSWORD, options: { metadata: "just a string" } },
      { email: "new@example.com", password: PASSWORD, options: { locale: "" } },
      { email: "new@example.com", password: PASSWORD, options: { redirectTo: "javascript:alert(1)" } },
      { email: "new@example.com", password: PASSWORD, tenantId: "" },
      { email: "new@example.com", password: PASSWORD, tenantId: "../../etc" },
    ];
    for (const variables of cases) {
      const { data, errors } = await app.gql(SIGN_UP, variables);
      expect(errors, JSON.stringify(variables).slice(0, 200)).toBeUndefined();
      expect(data.signUpEmailPassword.__typename, JSON.stringify(variables).slice(0, 200)).toBe("InvalidInputError");
      expect(data.signUpEmailPassword.fieldErrors.length).toBeGreaterThan(0);
    }
    // Text PostgreSQL cannot hold is refused for the whole request (400), before any resolver.
    for (const variables of [
      { email: "nul\u0000@example.com", password: PASSWORD },
      { email: "lone\ud800@example.com", password: PASSWORD },
      { email: "new@example.com", password: "valid but \ud800 broken" },
      { email: "new@example.com", password: PASSWORD, options: { displayName: "x\u0000y" } },
      { email: "new@example.com", password: PASSWORD, options: { metadata: { note: "a\u0000b" } } },
    ]) {
      expect(await refused(SIGN_UP, variables), JSON.stringify(variables)).toBe(400);
    }
    // Bodies past REQUEST_BODY_LIMIT are not read at all (413).
    expect(await refused(SIGN_UP, { email: "a".repeat(150_000) + "@example.com", password: PASSWORD })).toBe(413);
    expect(await refused(SIGN_UP, { email: "new@example.com", password: "p".repeat(150_000) })).toBe(413);
    expect(await tableCounts(app)).toEqual(before);
  });

  it("answers sign-in with odd input without a 500", async () => {
    for (const variables of [
      { email: "", password: "" },
      { email: "existing@example.com", password: "p".repeat(50_000) },
    ]) {
      const { data, errors } = await app.gql(SIGN_IN, variables);
      expect(errors).toBeUndefined();
      expect(["InvalidInputError", "WrongCredentialsError"]).toContain(data.signInEmailPassword.__typename);
    }
    expect(await refused(SIGN_IN, { email: "existing@example.com", password: "\u0000" })).toBe(400);
    expect(await refused(SIGN_IN, { email: "\ud800@example.com", password: PASSWORD })).toBe(400);
    expect(await refused(SIGN_IN, { email: "existing@example.com", password: "p".repeat(150_000) })).toBe(413);
  });

  it("refuses tokens of any shape without a 500", async () => {
    const queries = [
      [`mutation($t: String!) { refreshSession(refreshToken: $t) { __typename } }`, "refreshSession"],
      [`mutation($t: String!) { resetPassword(token: $t, newPassword: "a fine passphrase") { __typename } }`, "resetPassword"],
      [`mutation($t: String!) { verifyEmail(token: $t) { __typename } }`, "verifyEmail"],
    ] as const;
    for (const [query, field] of queries) {
      for (const t of ["", "x".repeat(50_000), "🙂", "' OR 1=1 --"]) {
        const { data, errors } = await app.gql(query, { t });
        expect(errors, `${field} ${t.slice(0, 20)}`).toBeUndefined();
        expect(data[field].__typename).toMatch(/Error$/);
      }
      expect(await refused(query, { t: "\u0000" })).toBe(400);
    }
  });
});
