-- The browser's time zone, sent with the subscribe form: the pending subscriber gets it, so the first digest comes at the reader's hour
ALTER TABLE "SubscribeRequest" ADD COLUMN "timezone" TEXT;
