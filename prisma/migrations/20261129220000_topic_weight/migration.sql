-- AlterTable
ALTER TABLE "SubscriberTopic" ADD COLUMN     "weight" DOUBLE PRECISION NOT NULL DEFAULT 1;

