/** `npm run schema:print`: writes schema.graphql and schema.admin.graphql from the code (a test fails when they drift). */
import { writeFile } from "node:fs/promises";
import { printSchemaFile } from "../src/schema/print.js";

await writeFile(new URL("../schema.graphql", import.meta.url), await printSchemaFile());
await writeFile(new URL("../schema.admin.graphql", import.meta.url), await printSchemaFile("admin"));
console.log("wrote schema.graphql and schema.admin.graphql");
