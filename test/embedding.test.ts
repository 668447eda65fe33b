import { mergeSchemas } from "@graphql-tools/schema";
import { createYoga } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hardeningPlugins } from "../src/app.js";
import { PASSWORD, bearer, startApp, type TestApp } from "./helpers.js";

describe("embedded in another graphql-yoga server", () => {
  let app: TestApp;
  let host: { fetch(url: string, init: RequestInit): Response | Promise<Response> };
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

  const post = async (query: string, headers: Record<string, string> = {}) =>
    (
      await host.fetch("http://host.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ query }),
      })
    ).json();

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
