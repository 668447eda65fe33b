/** Login methods: one row per way a user signs in (LoginMethod in API.md). */
import { randomUUID } from "node:crypto";
import type { PrismaClient } from "../generated/prisma/client.js";

/**
 * Records that a user can sign in with `recipeId`, unless a row for it exists
 * already (third-party identities, one row each, are added with their own key).
 */
export async function addLoginMethod(
  prisma: PrismaClient,
  method: { userId: string; tenantId: string; recipeId: string; email?: string | null; phoneNumber?: string | null; verified: boolean; at: Date },
): Promise<void> {
  await prisma.$executeRaw`
    INSERT INTO "LoginMethod" (id, "userId", "tenantId", "recipeId", email, "phoneNumber", verified, "createdAt")
    SELECT ${randomUUID()}::uuid, ${method.userId}::uuid, ${method.tenantId}, ${method.recipeId}, ${method.email ?? null},
      ${method.phoneNumber ?? null}, ${method.verified}, ${method.at}
    WHERE NOT EXISTS (SELECT 1 FROM "LoginMethod" WHERE "userId" = ${method.userId}::uuid AND "recipeId" = ${method.recipeId})`;
}
