import { defineConfig } from "prisma/config";

// Only `prisma generate` uses this file: migrations are authored and applied by
// scripts/migrate.ts with Prisma's WASM schema engine (works offline).
export default defineConfig({
  schema: "prisma/schema.prisma",
});
