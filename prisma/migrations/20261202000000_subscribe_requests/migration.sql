-- Subscribe requests from the web app, stored by the request in one statement and
-- processed (state checks, confirmation email) after the answer has been sent.
CREATE TABLE "SubscribeRequest" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "topics" TEXT[],
    "source" TEXT NOT NULL,
    "ipHash" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "leaseUntil" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SubscribeRequest_pkey" PRIMARY KEY ("id")
);
