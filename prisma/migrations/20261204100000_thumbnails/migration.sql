-- Paper thumbnails stored on the instance (emails load them from it, never from a third party), and the reader's "text only" choice
ALTER TABLE "Subscriber" ADD COLUMN "textOnly" BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE "Thumbnail" (
    "paperId" INTEGER NOT NULL,
    "bytes" BYTEA,
    "width" INTEGER,
    "height" INTEGER,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "checkedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Thumbnail_pkey" PRIMARY KEY ("paperId")
);

ALTER TABLE "Thumbnail" ADD CONSTRAINT "Thumbnail_paperId_fkey" FOREIGN KEY ("paperId") REFERENCES "Paper"("id") ON DELETE CASCADE ON UPDATE CASCADE;
