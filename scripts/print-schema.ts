/** `npm run schema:print`: writes schema.graphql from the code (a test fails when they drift). */
import { writeFile } from "node:fs/promises";
import { printSchemaFile } from "../src/schema/print.js";

await writeFile(new URL("../schema.graphql", import.meta.url), await printSchemaFile());
console.log("wrote schema.graphql");
