// When a relay answers "user unknown" to everyone, the hard bounces of that streak
// were about the relay, not the addresses: take them back.
import { sql, type Db } from "../db/client.ts";
import { hashAddress } from "../subscriptions/subscriptions.ts";
import { RETRY_BASE_MS } from "./ledger.ts";

/**
 * Lifts the suppressions the streak's hard bounces wrote (recorded as lifted by
 * "relay-wide refusal"), makes those subscribers active again, and turns their
 * ledger rows into relay refusals retried like any other (all day). One statement; safe to run twice.
 */
export async function undoStreakBounces(db: Db, bounces: Array<{ subscriberId: number; email: string }>, digestKey: string, now: Date): Promise<void> {
  if (bounces.length === 0) return;
  await sql(
    db,
    `WITH bounced AS (SELECT unnest($1::int[]) AS id, unnest($2::text[]) AS hash),
     lifted AS (
       UPDATE "Suppression" SET "liftedAt" = $4, "liftedBy" = 'relay-wide refusal'
       WHERE "addressHash" IN (SELECT hash FROM bounced) AND "liftedAt" IS NULL AND reason LIKE 'hard bounce:%'
     ), restored AS (
       UPDATE "Subscriber" SET status = 'active' WHERE id IN (SELECT id FROM bounced) AND status = 'bounced'
     )
     UPDATE "Delivery" SET "errorClass" = 'RELAY_REJECTED', "nextAttemptAt" = $5::timestamp, "updatedAt" = $4
     WHERE "subscriberId" IN (SELECT id FROM bounced) AND "digestKey" = $3 AND status = 'failed' AND "errorClass" = 'RECIPIENT_REJECTED'`,
    [bounces.map((bounce) => bounce.subscriberId), bounces.map((bounce) => hashAddress(bounce.email)), digestKey, now, new Date(now.getTime() + RETRY_BASE_MS)],
  );
}
