-- AlterTable
ALTER TABLE "User" ADD COLUMN     "activeMfaType" TEXT;
