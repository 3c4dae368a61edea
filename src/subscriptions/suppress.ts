// The suppression list: addresses (kept as hashes) that are never mailed again,
// from hard bounces, complaints, repeated soft bounces or an operator.
import { sql, type Db } from "../db/client.ts";
import { RETRY_BASE_MS } from "../delivery/ledger.ts";
import { hashAddress, normaliseEmail, type Tx } from "./store.ts";

/** Soft bounces in a row after which an address is suppressed. */
export const SOFT_BOUNCE_LIMIT = 3;

export type BounceType = "hard" | "soft" | "complaint";

/**
 * Suppresses the address and marks its subscriber (if any) `status`; idempotent.
 * Suppressed addresses are left out of every plan and every send.
 */
export async function suppressAddress(db: Db, email: string, status: "bounced" | "complained" | "unsubscribed", reason: string): Promise<void> {
  const address = normaliseEmail(email);
  await db.$transaction(async (tx) => {
    await suppressHash(tx, hashAddress(address), reason);
    await tx.subscriber.updateMany({ where: { email: address }, data: { status } });
  });
}

/**
 * Puts an address hash on the suppression list: a new row, or a lifted one made
 * active again with the new reason; an active suppression keeps its first reason.
 */
export async function suppressHash(tx: Tx, addressHash: string, reason: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO "Suppression" ("addressHash", "reason", "createdAt") VALUES (${addressHash}, ${reason.slice(0, 500)}, now())
    ON CONFLICT ("addressHash") DO UPDATE SET reason = EXCLUDED.reason, "createdAt" = EXCLUDED."createdAt", "liftedAt" = NULL, "liftedBy" = NULL
    WHERE "Suppression"."liftedAt" IS NOT NULL`;
}

/**
 * Applies a bounce report: hard → suppressed as bounced; complaint → suppressed as
 * complained; soft → counted, suppressed at SOFT_BOUNCE_LIMIT. Returns whether the
 * address is now suppressed. Throws INVALID_EMAIL for a bad address.
 */
export async function recordBounce(db: Db, report: { email: string; type: BounceType; reason?: string }): Promise<boolean> {
  const address = normaliseEmail(report.email);
  const reason = `${report.type} bounce${report.reason ? `: ${report.reason}` : ""}`;
  if (report.type === "hard") return suppressAddress(db, address, "bounced", reason).then(() => true);
  if (report.type === "complaint") return suppressAddress(db, address, "complained", reason).then(() => true);
  const updated = await db.subscriber.updateManyAndReturn({ where: { email: address }, data: { softBounces: { increment: 1 } }, select: { softBounces: true } });
  if ((updated[0]?.softBounces ?? 0) < SOFT_BOUNCE_LIMIT) return false;
  await suppressAddress(db, address, "bounced", `${SOFT_BOUNCE_LIMIT} soft bounces; last: ${reason}`);
  return true;
}

/** The subscribers of `page` whose address is suppressed (not lifted), by id. */
export async function suppressedAmong(db: Db, page: Array<{ id: number; email: string }>): Promise<Set<number>> {
  const byHash = new Map(page.map((subscriber) => [hashAddress(subscriber.email), subscriber.id]));
  const rows = await sql<{ addressHash: string }>(db, `SELECT "addressHash" FROM "Suppression" WHERE "addressHash" = ANY($1::text[]) AND "liftedAt" IS NULL`, [[...byHash.keys()]]);
  return new Set(rows.map((row) => byHash.get(row.addressHash) ?? 0));
}

// When a relay answers "user unknown" to everyone, the hard bounces of that streak
// were about the relay, not the addresses: take them back. The ledger rows are
// turned in the same statement, so that the undo is atomic.
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
