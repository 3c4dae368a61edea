-- AlterTable
ALTER TABLE "Subscriber" ADD COLUMN     "popularity" TEXT NOT NULL DEFAULT 'balanced';

