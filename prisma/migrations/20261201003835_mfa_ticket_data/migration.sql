-- AlterTable
ALTER TABLE "Ticket" ADD COLUMN     "data" JSONB NOT NULL DEFAULT '{}';
