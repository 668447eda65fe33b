/**
 * The public schema as an Apollo Federation v2 subgraph: composed with a second
 * subgraph that extends `User`, queried through a real gateway (Hive Gateway's
 * runtime over HTTP), and `_entities` answering only public fields to strangers.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";
import { composeServices, compositionHasErrors } from "@theguild/federation-composition";
import { parse } from "graphql";
import { createYoga } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, bearer, signUp, startApp, type TestApp } from "./helpers.js";

const ADMIN_SECRET = "an-admin-secret-for-tests";
const ADMIN = { "x-admin-secret": ADMIN_SECRET };

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` };
}

describe.each(DATABASES)("_entities: the privacy of a looked-up User (%s)", (kind) => {
  let app: TestApp;
  let ada: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;
  const ENTITIES = `query($representations: [_Any!]!) { _entities(representations: $representations) { __typename ... on User { id displayName avatarUrl email } } }`;
  const PRIVATE = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id roles metadata loginMethods { recipeId } } } }`;
  const lookup = (id: unknown, headers: Record<string, string> = {}, query = ENTITIES) =>
    app.gql(query, { representations: [{ __typename: "User", id }] }, headers);

  beforeAll(async () => {
    app = await startApp(kind, { env: { ADMIN_SECRET } });
    ada = await signUp(app, "ada@example.com");
    bob = await signUp(app, "bob@example.com");
  });
  afterAll(() => app.close());

  it("answers a stranger only id, displayName and avatarUrl", async () => {
    const { data, errors } = await lookup(ada.user.id);
    expect(data?._entities[0]).toMatchObject({ __typename: "User", id: ada.user.id, email: null });
    expect(errors?.map((error) => error.extensions?.code)).toEqual(["FORBIDDEN"]);
    expect(JSON.stringify({ data, errors })).not.toContain("ada@example.com");
    // Non-null private fields: refused, never answered.
    const hidden = await lookup(ada.user.id, {}, PRIVATE);
    expect(hidden.data?._entities[0] ?? null).toBeNull();
    expect(hidden.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("answers another signed-in user the same, and the user themselves everything", async () => {
    const other = await lookup(ada.user.id, bearer(bob.session.accessToken));
    expect(other.data?._entities[0].email).toBeNull();
    expect(other.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const own = await lookup(ada.user.id, bearer(ada.session.accessToken), PRIVATE);
    expect(own.errors).toBeUndefined();
    expect(own.data?._entities[0]).toMatchObject({ id: ada.user.id, roles: expect.arrayContaining(["user"]), loginMethods: [{ recipeId: "emailpassword" }] });
    expect((await lookup(ada.user.id, bearer(ada.session.accessToken))).data?._entities[0].email).toBe("ada@example.com");
  });

  it("answers an admin everything", async () => {
    const { data, errors } = await lookup(ada.user.id, ADMIN, PRIVATE);
    expect(errors).toBeUndefined();
    expect(data?._entities[0]).toMatchObject({ id: ada.user.id, roles: expect.arrayContaining(["user"]) });
  });

  it("answers null for an unknown or malformed id, without an internal error", async () => {
    for (const id of ["00000000-0000-4000-8000-000000000000", "not-a-uuid", 42, null, { id: 1 }, "x".repeat(5000)]) {
      const { data, errors } = await lookup(id);
      expect(data?._entities ?? [null], JSON.stringify(id)).toEqual([null]);
      for (const error of errors ?? []) expect(error.extensions?.code).not.toBe("INTERNAL_SERVER_ERROR");
    }
  });

  it("keeps tenants apart: a user of another tenant is not found", async () => {
    await app.gql(`mutation { createTenant(id: "acme") { __typename } }`, {}, ADMIN);
    const { data } = await app.gql(
      `mutation { signUpEmailPassword(tenantId: "acme", email: "carol@acme.example", password: "correct horse battery staple") { ... on SignUpEmailPasswordOk { user { id } session { accessToken } } } }`,
    );
    const carol = data.signUpEmailPassword;
    expect((await lookup(carol.user.id)).data?._entities).toEqual([null]);
    expect((await lookup(carol.user.id, bearer(ada.session.accessToken))).data?._entities).toEqual([null]);
    // Within its tenant, by its own user:
    expect((await lookup(carol.user.id, bearer(carol.session.accessToken))).data?._entities[0].id).toBe(carol.user.id);
    expect((await lookup(ada.user.id, bearer(carol.session.accessToken))).data?._entities).toEqual([null]);
  });
});

describe("behind a federation gateway", () => {
  let app: TestApp;
  const servers: Server[] = [];
  let gateway: ReturnType<typeof createGatewayRuntime>;
  let ada: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;
  const seenByReviews: Array<string | null> = [];

  beforeAll(async () => {
    app = await startApp("pglite");
    ada = await signUp(app, "ada@example.com");
    bob = await signUp(app, "bob@example.com");
    const auth = await listen(app.auth.yoga as never);
    // A second subgraph, as a platform team writes one: reviews by users it knows only by id.
    const reviews = [
      { id: "r1", body: "Lovely", authorId: ada.user.id },
      { id: "r2", body: "Meh", authorId: bob.user.id },
    ];
    const reviewsTypeDefs = parse(/* GraphQL */ `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
      type Review { id: ID! body: String! author: User! }
      type User @key(fields: "id") { id: ID! reviews: [Review!]! }
      type Query { reviews: [Review!]! }
    `);
    const reviewsSchema = buildSubgraphSchema({
      typeDefs: reviewsTypeDefs,
      resolvers: {
        Query: { reviews: () => reviews },
        Review: { author: (review: { authorId: string }) => ({ __typename: "User", id: review.authorId }) },
        User: { reviews: (user: { id: string }) => reviews.filter((review) => review.authorId === user.id) },
      } as never,
    });
    const reviewsServer = await listen(
      createYoga({
        schema: reviewsSchema,
        context: ({ request }) => {
          seenByReviews.push(request.headers.get("authorization"));
          return {};
        },
      }) as never,
    );
    servers.push(auth.server, reviewsServer.server);
    // The auth subgraph's SDL as a gateway's composition reads it: `_service { sdl }`.
    const sdl = (await app.gql(`{ _service { sdl } }`)).data._service.sdl as string;
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.6"');
    expect(sdl).toMatch(/type User\s+@key\(fields: "id"\)/);
    const composed = composeServices([
      { name: "auth", typeDefs: parse(sdl), url: auth.url },
      { name: "reviews", typeDefs: reviewsTypeDefs, url: reviewsServer.url },
    ]);
    if (compositionHasErrors(composed)) throw new Error(composed.errors.map((error) => error.message).join("\n"));
    gateway = createGatewayRuntime({
      supergraph: composed.supergraphSdl,
      propagateHeaders: { fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get("authorization") }) },
      logging: false,
      maskedErrors: false,
    });
  });
  afterAll(async () => {
    await gateway?.dispose();
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
    await app?.close();
  });

  const viaGateway = async (query: string, headers: Record<string, string> = {}) =>
    (
      await gateway.fetch("http://gateway.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ query }),
      })
    ).json();

  it("answers `me` with the reviews subgraph's fields, the token passed on to the subgraphs", async () => {
    seenByReviews.length = 0;
    const { data, errors } = await viaGateway(`{ me { email displayName reviews { body } } }`, bearer(ada.session.accessToken));
    expect(errors).toBeUndefined();
    expect(data.me).toEqual({ email: "ada@example.com", displayName: expect.any(String), reviews: [{ body: "Lovely" }] });
    expect(seenByReviews).toContain(`Bearer ${ada.session.accessToken}`);
  });

  it("lets anyone see an author's public profile, and nobody a stranger's email", async () => {
    const anonymous = await viaGateway(`{ reviews { body author { id displayName email } } }`);
    expect(anonymous.data.reviews.map((review: any) => review.author.id)).toEqual([ada.user.id, bob.user.id]);
    expect(anonymous.data.reviews.map((review: any) => review.author.email)).toEqual([null, null]);
    expect(JSON.stringify(anonymous)).not.toMatch(/ada@example\.com|bob@example\.com/);
    // Signed in as Ada: her own email, never Bob's.
    const asAda = await viaGateway(`{ reviews { author { email } } }`, bearer(ada.session.accessToken));
    expect(asAda.data.reviews.map((review: any) => review.author.email)).toEqual(["ada@example.com", null]);
    expect(JSON.stringify(asAda)).not.toContain("bob@example.com");
  });
});
