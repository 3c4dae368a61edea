-- Term associations: each paper's key terms (title, AI keywords, words its
-- abstract repeats), over which co-occurrence with a topic's words is counted.
ALTER TABLE "Paper" ADD COLUMN "keyTerms" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
CREATE INDEX "Paper_keyTerms_idx" ON "Paper" USING GIN ("keyTerms");

-- Papers are counted again, key terms with them (the counts are rebuilt whole,
-- so none is counted twice).
TRUNCATE "TermFrequency";
UPDATE "Paper" SET "termsCounted" = false;

-- The words associated with each wording of a topic (association key: its
-- sorted terms), worked out after the ingests that change them.
CREATE TABLE "TermAssociation" (
    "key" TEXT NOT NULL,
    "terms" JSONB NOT NULL,
    "computedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "TermAssociation_pkey" PRIMARY KEY ("key")
);
