-- AlterTable
ALTER TABLE "Subscriber" ADD COLUMN     "softBounces" INTEGER NOT NULL DEFAULT 0;

