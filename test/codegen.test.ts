/**
 * What a frontend's codegen makes of the schema: GraphQL Code Generator from
 * introspection, the generated types compiled with strict TypeScript, and a
 * switch on `__typename` that the compiler proves exhaustive.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { codegen } from "@graphql-codegen/core";
import * as operationsPlugin from "@graphql-codegen/typescript-operations";
import { buildClientSchema, getIntrospectionQuery, type GraphQLUnionType, parse, printSchema } from "graphql";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp } from "./helpers.js";

const DOCUMENT = /* GraphQL */ `
  mutation SignIn($email: String!, $password: String!) {
    signInEmailPassword(email: $email, password: $password) {
      __typename
      ... on SignInEmailPasswordOk { session { accessToken } }
      ... on MfaRequired { ticket factors }
      ... on AuthError { message }
    }
  }
  mutation Start($to: CodeDestination!) {
    createCode(to: $to) { __typename }
  }
  query Capabilities {
    authConfig { firstFactors mfaFactors mfa { policy stepUpFactors } }
    me { activeMfaType createdAt }
  }
`;

/** Compiles `files` with strict settings; answers the error messages. */
function compile(dir: string, files: string[]): string[] {
  const program = ts.createProgram(
    files.map((file) => path.join(dir, file)),
    {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
    },
  );
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
}

describe("the generated client", () => {
  let app: TestApp;
  let dir: string;
  let members: string[];
  beforeAll(async () => {
    app = await startApp("pglite");
    dir = await mkdtemp(path.join(tmpdir(), "auth-codegen-"));
    const { data } = await app.gql(getIntrospectionQuery({ oneOf: true }));
    const schema = buildClientSchema(data);
    members = (schema.getType("SignInEmailPasswordResult") as GraphQLUnionType).getTypes().map((type) => type.name);
    const generated = await codegen({
      schema: parse(printSchema(schema)),
      documents: [{ document: parse(DOCUMENT) }],
      filename: "generated.ts",
      // The operations plugin writes every type the documents use, enums included.
      plugins: [{ "typescript-operations": { enumsAsTypes: true, scalars: { DateTime: "string", JSON: "unknown" } } }],
      pluginMap: { "typescript-operations": operationsPlugin },
      config: {},
    });
    await writeFile(path.join(dir, "generated.ts"), generated);
    await writeFile(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await app.close();
  });

  const client = (cases: string[]) => `import type { SignInMutation, CapabilitiesQuery, AuthFactor, FirstFactor, StartMutationVariables } from "./generated.js";
type Result = SignInMutation["signInEmailPassword"];
export function outcome(result: Result): string {
  switch (result.__typename) {
${cases.map((name) => `    case "${name}": return "${name}";`).join("\n")}
    default: {
      const unreachable: never = result;
      return unreachable;
    }
  }
}
// Factors are enums: typos do not compile, and a switch over them is checked too.
export const offered = (config: CapabilitiesQuery["authConfig"]): FirstFactor[] => config.firstFactors;
export const second: AuthFactor = "totp";
export const active = (me: NonNullable<CapabilitiesQuery["me"]>): AuthFactor | null | undefined => me.activeMfaType;
// A @oneOf input: one field or the other.
export const to: StartMutationVariables["to"] = { email: "ada@example.com" };
`;

  it("compiles with strict TypeScript, and a switch over every result member is exhaustive", async () => {
    expect(members).toEqual(expect.arrayContaining(["SignInEmailPasswordOk", "MfaRequired", "WrongCredentialsError", "GeneralError"]));
    await writeFile(path.join(dir, "client.ts"), client(members));
    expect(compile(dir, ["generated.ts", "client.ts"])).toEqual([]);
  });

  it("fails to compile when a member is left out of the switch, or a factor is misspelt", async () => {
    await writeFile(path.join(dir, "partial.ts"), client(members.filter((name) => name !== "MfaRequired")));
    expect(compile(dir, ["generated.ts", "partial.ts"]).join("\n")).toMatch(/not assignable to type 'never'/);
    await writeFile(path.join(dir, "typo.ts"), `import type { AuthFactor } from "./generated.js";\nexport const factor: AuthFactor = "totpp";\n`);
    expect(compile(dir, ["generated.ts", "typo.ts"]).join("\n")).toMatch(/"totpp"/);
    await writeFile(
      path.join(dir, "both.ts"),
      `import type { StartMutationVariables } from "./generated.js";\nexport const to: StartMutationVariables["to"] = { email: "a@example.com", phoneNumber: "+14155550123" };\n`,
    );
    expect(compile(dir, ["generated.ts", "both.ts"])).not.toEqual([]);
  });
});
