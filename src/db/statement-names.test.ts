import { describe, expect, it } from "vitest";
import { statementNames } from "./database.js";

describe("prepared statement names", () => {
  it("names a statement by its text, the same text the same name", () => {
    const names = statementNames();
    const first = names({ sql: `SELECT id FROM "User" WHERE id = $1` });
    expect(first).toMatch(/^s\d+$/);
    expect(names({ sql: `SELECT email FROM "User" WHERE id = $1` })).not.toBe(first);
    expect(names({ sql: `SELECT id FROM "User" WHERE id = $1` })).toBe(first);
  });

  it("leaves unnamed what selects or returns every column, which a newer migration could change under a prepared plan", () => {
    const names = statementNames();
    for (const sql of [
      `SELECT * FROM "User"`,
      `SELECT u.* FROM "User" u`,
      `SELECT "u".*, 1 FROM "User" "u"`,
      `INSERT INTO "Session" (id) VALUES ($1) RETURNING *`,
      `UPDATE "Session" SET amr = $1 RETURNING *;`,
      `SELECT x FROM (SELECT * FROM "User") x`,
      `SELECT count(*) FROM "User"`,
      "SELECT\n  *\nFROM t",
    ]) {
      expect(names({ sql }), sql).toBe("");
    }
  });

  it("names a statement whose `*` multiplies", () => {
    const names = statementNames();
    expect(names({ sql: "SELECT $1::float8 * power(2, LEAST(c.failures + 1, 40)) FROM c" })).toMatch(/^s\d+$/);
    expect(names({ sql: "SELECT a*b FROM t" })).toMatch(/^s\d+$/);
  });
});
