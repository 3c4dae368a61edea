-- A skip because nothing matched stays provisional until papers newer than papersUpTo arrive.
ALTER TABLE "Delivery" ADD COLUMN "papersUpTo" INTEGER;

-- Lifting a suppression is recorded on its row instead of deleting it.
ALTER TABLE "Suppression" ADD COLUMN "liftedAt" TIMESTAMP(3),
ADD COLUMN "liftedBy" TEXT;

-- The process that runs a Run, so that one whose process died can be told from one still running.
ALTER TABLE "Run" ADD COLUMN "pid" INTEGER,
ADD COLUMN "host" TEXT;
