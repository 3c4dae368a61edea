-- A skip because nothing matched stays provisional until papers newer than papersUpTo arrive.
ALTER TABLE "Delivery" ADD COLUMN "papersUpTo" INTEGER;

-- Lifting a suppression is recorded on its row instead of deleting it.
ALTER TABLE "Suppression" ADD COLUMN "liftedAt" TIMESTAMP(3),
ADD COLUMN "liftedBy" TEXT;
