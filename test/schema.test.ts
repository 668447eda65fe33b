import { readFile } from "node:fs/promises";
import { buildSchema as buildFromSdl, validateSchema } from "graphql";
import { describe, expect, it } from "vitest";
import { printSchemaFile } from "../src/schema/print.js";
import { diffDatabaseToSchema } from "../src/db/schema-engine.js";
import { DATABASES, openTestDatabase } from "./helpers.js";

describe("schema.graphql", () => {
  it("is the schema the code prints (run `npm run schema:print` after changing the API)", async () => {
    const committed = await readFile(new URL("../schema.graphql", import.meta.url), "utf8");
    expect(committed).toBe(await printSchemaFile());
    const admin = await readFile(new URL("../schema.admin.graphql", import.meta.url), "utf8");
    expect(admin).toBe(await printSchemaFile("admin"));
  });

  it("is a valid schema where every result union member implements AuthResult", async () => {
    const schema = buildFromSdl(await readFile(new URL("../schema.graphql", import.meta.url), "utf8"));
    expect(validateSchema(schema)).toEqual([]);
    const unions = Object.values(schema.getTypeMap()).filter((type) => type.name.endsWith("Result") && "getTypes" in type);
    expect(unions.length).toBeGreaterThan(5);
    for (const union of unions as unknown as Array<{ name: string; getTypes(): Array<{ name: string; getInterfaces(): Array<{ name: string }> }> }>) {
      const members = union.getTypes();
      expect(
        members.map((m) => m.name),
        union.name,
      ).toContain("GeneralError");
      expect(
        members.filter((m) => m.name.endsWith("Ok")),
        union.name,
      ).toHaveLength(1);
      for (const member of members)
        expect(
          member.getInterfaces().map((i) => i.name),
          member.name,
        ).toContain("AuthResult");
    }
  });
});

async function migratedStructure(kind: (typeof DATABASES)[number]) {
  const { db, drop } = await openTestDatabase(kind, { fresh: true });
  try {
    const applied = await db.migrate();
    expect(applied.length).toBeGreaterThan(0);
    expect(await db.migrate()).toEqual([]); // idempotent
    const recorded = await db.prisma.$queryRaw<Array<{ migration_name: string }>>`
      SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL`;
    expect(recorded.map((row) => row.migration_name).sort()).toEqual(applied.sort());
    // Prisma's own engine compares the migrated database with schema.prisma. Its
    // introspection needs PGlite's adapter (node-postgres cannot decode the catalog's
    // "char" columns), so PostgreSQL is compared with PGlite's structure below.
    const drift = kind === "pglite" ? await diffDatabaseToSchema(db.adapter) : "";
    const columns = await db.prisma.$queryRaw<Array<Record<string, string>>>`
      SELECT table_name, column_name, data_type, is_nullable, column_default
      FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name`;
    const indexes = await db.prisma.$queryRaw<Array<Record<string, string>>>`
      SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`;
    return { drift, columns, indexes };
  } finally {
    await db.close();
    await drop();
  }
}

describe("migrations", () => {
  it("produce exactly what prisma/schema.prisma describes (the engine's diff is empty)", async () => {
    const { drift } = await migratedStructure("pglite");
    expect(drift).toBe("");
  });

  it.skipIf(!DATABASES.includes("postgres"))("give PostgreSQL the same tables, columns and indexes as PGlite", async () => {
    const [embedded, server] = await Promise.all([migratedStructure("pglite"), migratedStructure("postgres")]);
    expect(server.columns).toEqual(embedded.columns);
    expect(server.indexes).toEqual(embedded.indexes);
  });
});
