-- AlterTable
ALTER TABLE "Delivery" ADD COLUMN     "picks" JSONB;

-- AlterTable
ALTER TABLE "Subscriber" ADD COLUMN     "lastConfirmationAt" TIMESTAMP(3);

