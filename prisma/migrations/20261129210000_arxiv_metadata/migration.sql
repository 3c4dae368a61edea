-- AlterTable
ALTER TABLE "Paper" ADD COLUMN     "arxivComment" TEXT,
ADD COLUMN     "doi" TEXT,
ADD COLUMN     "journalRef" TEXT,
ADD COLUMN     "primaryCategory" TEXT;

