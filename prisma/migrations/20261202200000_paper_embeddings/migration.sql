-- Optional dense embeddings: each paper's vector (float32, little-endian) and
-- the model it came from, computed once after ingest.
ALTER TABLE "Paper" ADD COLUMN "embedding" BYTEA;
ALTER TABLE "Paper" ADD COLUMN "embeddingModel" TEXT;
