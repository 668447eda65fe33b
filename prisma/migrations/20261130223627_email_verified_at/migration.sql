-- AlterTable
ALTER TABLE "User" ADD COLUMN     "emailVerifiedAt" TIMESTAMP(3);

-- Addresses verified before this release: proven since the account was made.
UPDATE "User" SET "emailVerifiedAt" = "createdAt" WHERE "emailVerified";
