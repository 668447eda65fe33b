import { mergeSchemas } from "@graphql-tools/schema";
import { createYoga } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hardeningPlugins } from "../src/app.js";
import { PASSWORD, bearer, startApp, type TestApp } from "./helpers.js";

type Host = { fetch(url: string, init: RequestInit): Response | Promise<Response> };

/** A GraphQL POST to the host server. */
async function postTo(host: Host, query: string, headers: Record<string, string>) {
  const response = await host.fetch("http://host.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query }),
  });
  return response.json();
}

describe("embedded in another graphql-yoga server", () => {
  let app: TestApp;
  let host: Host;
  beforeAll(async () => {
    app = await startApp("pglite");
    // The host's own API, merged with the auth schema; its resolvers see the auth context.
    const schema = mergeSchemas({
      schemas: [app.auth.schema],
      typeDefs: /* GraphQL */ `
        type Query { greeting: String! }
      `,
      resolvers: {
        Query: {
          greeting: async (_: unknown, __: unknown, ctx: any) => {
            const viewer = await ctx.viewer();
            return viewer ? `hello ${viewer.user.email}` : "hello stranger";
          },
        },
      },
    });
    host = createYoga({
      schema,
      context: ({ request }) => app.auth.contextFactory({ request }),
      plugins: hardeningPlugins(app.auth.config),
    });
  });
  afterAll(() => app?.close());

  const post = (query: string, headers: Record<string, string> = {}) => postTo(host, query, headers);

  it("serves the auth operations and the host's fields side by side", async () => {
    const signUp = await post(
      `mutation { signUpEmailPassword(email: "host@example.com", password: "${PASSWORD}") { __typename ... on SignUpEmailPasswordOk { session { accessToken } } } }`,
    );
    expect(signUp.data.signUpEmailPassword.__typename).toBe("SignUpEmailPasswordOk");
    const token = signUp.data.signUpEmailPassword.session.accessToken;
    expect((await post(`{ greeting }`)).data.greeting).toBe("hello stranger");
    expect((await post(`{ greeting me { email } }`, bearer(token))).data).toEqual({ greeting: "hello host@example.com", me: { email: "host@example.com" } });
  });

  it("keeps the credential-check limit in the host", async () => {
    const guesses = ["a", "b", "c", "d"].map((alias) => `${alias}: signInEmailPassword(email: "host@example.com", password: "guess") { __typename }`);
    const { errors } = await post(`mutation { ${guesses.join(" ")} }`);
    expect(errors?.[0]?.extensions?.code).toBe("CREDENTIAL_CHECK_LIMIT");
  });
});

describe("embedded next to a host schema with its own User, Session and GeneralError (typePrefix)", () => {
  let app: TestApp;
  let host: Host;
  const HOST_TYPES = /* GraphQL */ `
    type User { id: ID! nickname: String! }
    type Session { id: ID! room: String! }
    type GeneralError { code: Int! }
    type Query { hostUser: User! hostSession: Session! lastError: GeneralError }
  `;
  beforeAll(async () => {
    app = await startApp("pglite", { typePrefix: "Auth" });
    const schema = mergeSchemas({
      schemas: [app.auth.schema],
      typeDefs: HOST_TYPES,
      resolvers: {
        Query: { hostUser: () => ({ id: "u1", nickname: "host's" }), hostSession: () => ({ id: "s1", room: "lobby" }), lastError: () => ({ code: 7 }) },
      },
    });
    host = createYoga({ schema, context: ({ request }) => app.auth.contextFactory({ request }), plugins: hardeningPlugins(app.auth.config) });
  });
  afterAll(() => app?.close());

  const post = (query: string, headers: Record<string, string> = {}) => postTo(host, query, headers);

  it("keeps both sets of types apart: the host's untouched, the auth API's prefixed and working", async () => {
    const signUp = await post(
      `mutation { signUpEmailPassword(email: "prefixed@example.com", password: "${PASSWORD}") { __typename ... on AuthSignUpEmailPasswordOk { user { __typename email } session { __typename accessToken } } } }`,
    );
    const ok = signUp.data.signUpEmailPassword;
    expect(ok).toMatchObject({
      __typename: "AuthSignUpEmailPasswordOk",
      user: { __typename: "AuthUser", email: "prefixed@example.com" },
      session: { __typename: "AuthSession" },
    });
    // A failure answers the prefixed error type, with its fields.
    const again = await post(
      `mutation { signUpEmailPassword(email: "prefixed@example.com", password: "${PASSWORD}") { __typename ... on AuthAuthError { message } } }`,
    );
    expect(again.data.signUpEmailPassword.__typename).toBe("AuthEmailAlreadyExistsError");
    // The host's own types are its own.
    expect((await post(`{ hostUser { __typename nickname } hostSession { room } lastError { code } }`)).data).toEqual({
      hostUser: { __typename: "User", nickname: "host's" },
      hostSession: { room: "lobby" },
      lastError: { code: 7 },
    });
    expect((await post(`{ me { __typename email } }`, bearer(ok.session.accessToken))).data.me).toEqual({
      __typename: "AuthUser",
      email: "prefixed@example.com",
    });
    // The served contract stays unprefixed.
    expect((await app.gql(`{ __type(name: "User") { name } }`)).data.__type.name).toBe("User");
  });

  it("keeps the credential-check limit on the prefixed schema", async () => {
    const guesses = ["a", "b", "c", "d"].map((alias) => `${alias}: signInEmailPassword(email: "prefixed@example.com", password: "guess") { __typename }`);
    expect((await post(`mutation { ${guesses.join(" ")} }`)).errors?.[0]?.extensions?.code).toBe("CREDENTIAL_CHECK_LIMIT");
  });
});
