-- Topics can be a paper: like:<arXiv id>.
ALTER TYPE "TopicKind" ADD VALUE 'like';

-- Corpus statistics for ranked retrieval: document frequency per stemmed term,
-- over every paper counted so far (new papers are counted after each ingest).
CREATE TABLE "TermFrequency" (
    "term" TEXT NOT NULL,
    "papers" INTEGER NOT NULL,
    CONSTRAINT "TermFrequency_pkey" PRIMARY KEY ("term")
);

ALTER TABLE "Paper" ADD COLUMN "termsCounted" BOOLEAN NOT NULL DEFAULT false;

-- Finds the papers still to count without reading the whole table.
CREATE INDEX "Paper_uncounted_idx" ON "Paper" ("id") WHERE NOT "termsCounted";
