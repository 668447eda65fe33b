/**
 * The shape the code keeps (DESIGN.md "Layers"), checked by reading the source:
 * account data has one writer, and services know nothing of GraphQL.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(import.meta.dirname, "../src");

function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "generated" ? [] : sources(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [full] : [];
  });
}
const relative = (file: string) => path.relative(SRC, file);

// Writes to the account tables through Prisma's client or in SQL.
const ACCOUNT_WRITE =
  /prisma\.(user|loginMethod)\.(create|createMany|update|updateMany|updateManyAndReturn|upsert|delete|deleteMany)\b|(INSERT INTO|UPDATE|DELETE FROM)\s+"(User|LoginMethod)"/;

describe("layers", () => {
  it("only the account store writes users and login methods", () => {
    const writers = sources().filter((file) => ACCOUNT_WRITE.test(readFileSync(file, "utf8")));
    expect(writers.map(relative)).toEqual(["accounts/store.ts"]);
  });

  it("Prisma and SQL appear only in store modules", () => {
    // Stores: the modules that own tables. A recipe's service.ts is its functions, the recipe's data layer
    // (SuperTokens' RecipeInterface); APIs, schema, routes and the context reach data only through them.
    const store = (file: string) =>
      file.startsWith("db/") ||
      /^recipes\/[^/]+\/service\.ts$/.test(file) ||
      [
        "accounts/store.ts",
        "accounts/users.ts",
        "audit.ts",
        "mfa/store.ts",
        "recipes/totp/recovery-codes.ts",
        "security/attempt-limiter.ts",
        "sessions/service.ts",
        "sessions/signing-keys.ts",
        "tenants/tenants.ts",
        "tickets.ts",
      ].includes(file);
    const offenders = sources()
      .map(relative)
      .filter((file) => !store(file))
      .filter((file) => /prisma\.[a-zA-Z$]|\$queryRaw|\$executeRaw|\$transaction/.test(readFileSync(path.join(SRC, file), "utf8")));
    expect(offenders).toEqual([]);
  });

  it("services, the accounts core and the routes import nothing from GraphQL or the schema layer", () => {
    // The edge: the schema layer, each recipe's schema.ts and the index.ts that wires it into the recipe's definition.
    const edge = (file: string) =>
      file.startsWith("schema/") ||
      file.endsWith("/schema.ts") ||
      /^recipes\/[^/]+\/index\.ts$/.test(file) ||
      ["app.ts", "index.ts", "security/events.ts", "security/credential-limit.ts", "observability/request-log.ts"].includes(file);
    const offenders = sources()
      .map(relative)
      .filter((file) => !edge(file))
      // Type-only imports of yoga's request and plugin types are fine (the routes are a yoga plugin); values are not.
      .filter((file) =>
        /^import (?!type )[^;]*from "(graphql|@pothos\/[^"]+|graphql-yoga)"|from "[./]*schema\//m.test(readFileSync(path.join(SRC, file), "utf8")),
      );
    expect(offenders).toEqual([]);
  });
});
