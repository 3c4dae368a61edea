// The delivery ledger: one row per (subscriber, digest key). A row is claimed
// ("sending") before the message goes out and its outcome recorded after, so a
// re-run or a second worker never sends the same digest twice. Every statement
// is SQL: the claims are atomic upserts guarded by one rule (reopenedSql), which
// Prisma cannot express, and one style keeps the rule in one place.
import { sql, type Db } from "../db/client.ts";
import { localTime } from "../days.ts";
import type { AppError } from "../errors.ts";

export type Claim = {
  deliveryId: number;
  attempts: number;
  possibleDuplicate: boolean;
  /** The subscriber's status as the claim was taken ("deleted" when gone): only "active" may be sent to. */
  subscriberStatus: string;
};

/** How long a claim protects a send; after that the row counts as abandoned by a dead worker. */
export const CLAIM_LEASE_MS = 10 * 60 * 1000;
export const RETRY_BASE_MS = 5 * 60 * 1000;
const RETRY_MAX_MS = 6 * 60 * 60 * 1000;
/** After this many attempts a lost connection is given up (≈ 5 min, 10, 20, 40, 80 → 2.5 h in all). */
export const MAX_ATTEMPTS = 6;
/**
 * Failures that cannot have delivered anything and say nothing final about the
 * address — the relay unreachable (SMTP_UNAVAILABLE), refusing everyone
 * (RELAY_REJECTED), a 4xx (SMTP_TEMPORARY: "try again later", from the relay or the
 * recipient's server) — are retried for as long as the digest's day lasts (the
 * planner only plans today's key), never more than RELAY_RETRY_MAX_MS apart, so a
 * relay back within the day delivers the day. Issue 12: 4 hours of outage lost
 * 30 % of a list, 4 hours of 451 all of it. A lost connection (SMTP_OUTCOME_UNKNOWN)
 * keeps the MAX_ATTEMPTS cap: each retry may be a duplicate.
 */
const RETRIED_ALL_DAY: ReadonlySet<string> = new Set(["SMTP_UNAVAILABLE", "RELAY_REJECTED", "SMTP_TEMPORARY"]);
export const RELAY_RETRY_MAX_MS = 30 * 60 * 1000;

/**
 * The ledger's one rule for a row that does not close its digest, as SQL over the
 * row's alias and a `now` parameter: failed with its retry due, claimed by a worker
 * whose lease has passed, or a provisional skip (nothing matched) that papers
 * ingested after it have reopened. Sent rows, live claims, failures without a retry
 * due and final skips close the digest. The planner and the claim both use it.
 */
export function reopenedSql(row: string, now: string): string {
  return `((${row}.status = 'failed' AND ${row}."nextAttemptAt" <= ${now})
      OR (${row}.status IN ('sending', 'queued') AND (${row}."leaseUntil" IS NULL OR ${row}."leaseUntil" < ${now}))
      OR (${row}.status = 'skipped' AND ${row}."papersUpTo" < (SELECT coalesce(max(id), 0) FROM "Paper")))`;
}

/** How long a queued row waits for a worker before the planner may queue it again (the job's own expiry). */
export const QUEUE_LEASE_MS = 30 * 60 * 1000;

/**
 * Marks these subscribers' digest `queued` for one batch job, atomically: only
 * rows the planner may (re)plan (no row, or reopenedSql) are taken, so two
 * schedulers racing queue each subscriber once. Returns the subscriber ids this
 * call queued, in order; the batch job is for them alone. A queued row closes
 * the digest for the planner until its lease passes (a lost job) or a worker
 * releases it (deferred), and any worker may claim it.
 */
export async function queueDeliveries(db: Db, batch: { digestKey: string; ids: number[]; runId?: number }, now: Date): Promise<number[]> {
  const rows = await sql<{ subscriberId: number }>(
    db,
    `INSERT INTO "Delivery" ("subscriberId", "digestKey", "status", "leaseUntil", "runId", "createdAt", "updatedAt")
     SELECT unnest($1::int[]), $2, 'queued', $3, $4, $5, $5
     ON CONFLICT ("subscriberId", "digestKey") DO UPDATE SET
       "status" = 'queued',
       "leaseUntil" = EXCLUDED."leaseUntil",
       "runId" = EXCLUDED."runId",
       "possibleDuplicate" = "Delivery"."possibleDuplicate" OR "Delivery"."status" = 'sending',
       "papersUpTo" = NULL,
       "updatedAt" = EXCLUDED."updatedAt"
     WHERE ${reopenedSql('"Delivery"', "$5")}
     RETURNING "subscriberId"`,
    [batch.ids, batch.digestKey, new Date(now.getTime() + QUEUE_LEASE_MS), batch.runId ?? null, now],
  );
  return rows.map((row) => row.subscriberId).sort((a, b) => a - b);
}

/**
 * Hands queued rows back to the planner at once (the worker deferred them: the
 * relay is failing), or closes them as skipped with `reason` (the subscriber
 * left or is suppressed). Rows that are not queued are left alone.
 */
export async function releaseQueued(db: Db, key: { digestKey: string; ids: number[] }, now: Date, skipReason?: string): Promise<void> {
  if (key.ids.length === 0) return;
  await sql(
    db,
    skipReason === undefined
      ? `UPDATE "Delivery" SET "leaseUntil" = $3, "updatedAt" = $3 WHERE "digestKey" = $1 AND "subscriberId" = ANY($2::int[]) AND status = 'queued'`
      : `UPDATE "Delivery" SET status = 'skipped', error = $4, "leaseUntil" = NULL, "updatedAt" = $3 WHERE "digestKey" = $1 AND "subscriberId" = ANY($2::int[]) AND status = 'queued'`,
    skipReason === undefined ? [key.digestKey, key.ids, now] : [key.digestKey, key.ids, now, skipReason],
  );
}

/**
 * Atomically claims the digest for sending: creates the row, or takes over a
 * queued row, or one that reopenedSql allows: a failed row due for retry, a
 * "sending" row whose lease has expired (then the earlier attempt may have gone
 * out: possibleDuplicate), a provisional skip that new papers reopened. Returns
 * undefined when the row is sent, finally skipped, permanently failed or held by another worker.
 */
export async function claimDelivery(db: Db, key: { subscriberId: number; digestKey: string; runId?: number }, now: Date): Promise<Claim | undefined> {
  const lease = new Date(now.getTime() + CLAIM_LEASE_MS);
  const rows = await sql<{ id: number; attempts: number; possibleDuplicate: boolean; subscriberStatus: string | null }>(
    db,
    `INSERT INTO "Delivery" ("subscriberId", "digestKey", "status", "attempts", "leaseUntil", "runId", "createdAt", "updatedAt")
     VALUES ($1, $2, 'sending', 1, $3, $4, $5, $5)
     ON CONFLICT ("subscriberId", "digestKey") DO UPDATE SET
       "status" = 'sending',
       "attempts" = "Delivery"."attempts" + 1,
       "leaseUntil" = EXCLUDED."leaseUntil",
       "runId" = EXCLUDED."runId",
       "possibleDuplicate" = "Delivery"."possibleDuplicate" OR "Delivery"."status" = 'sending',
       "papersUpTo" = NULL,
       "updatedAt" = EXCLUDED."updatedAt"
     WHERE "Delivery"."status" = 'queued' OR ${reopenedSql('"Delivery"', "$5")}
     RETURNING "id", "attempts", "possibleDuplicate", (SELECT status::text FROM "Subscriber" WHERE id = $1) AS "subscriberStatus"`,
    [key.subscriberId, key.digestKey, lease, key.runId ?? null, now],
  );
  const row = rows[0];
  return row && { deliveryId: row.id, attempts: row.attempts, possibleDuplicate: row.possibleDuplicate, subscriberStatus: row.subscriberStatus ?? "deleted" };
}

/** Marks the claim sent and remembers its papers so they never go to this subscriber again. */
export type SentPick = { paperId: number; reason: string; score: number };

export async function recordSent(db: Db, claim: Claim, outcome: { subscriberId: number; messageId: string; picks: SentPick[] }, now: Date): Promise<void> {
  const paperIds = outcome.picks.map((pick) => pick.paperId);
  const picks = JSON.stringify(outcome.picks.map(({ paperId, reason, score }) => ({ paperId, reason, score })));
  // One statement, so one round trip and atomic: the row, the papers never to send again, the bounce count.
  await sql(
    db,
    `WITH sent AS (
       UPDATE "Delivery" SET status = 'sent', "messageId" = $3, "paperIds" = $4::int[], picks = $5::jsonb,
         "sentAt" = $6, "leaseUntil" = NULL, "errorClass" = NULL, error = NULL, "nextAttemptAt" = NULL, "updatedAt" = $6
       WHERE id = $1
     ), papers AS (
       INSERT INTO "SentPaper" ("subscriberId", "paperId", "sentAt")
       SELECT $2, unnest($4::int[]), $6 ON CONFLICT DO NOTHING
     )
     UPDATE "Subscriber" SET "softBounces" = 0 WHERE id = $2 AND "softBounces" > 0`,
    [claim.deliveryId, outcome.subscriberId, outcome.messageId, paperIds, picks, now],
  );
}

/**
 * Marks the claim failed. Temporary errors get a next attempt with exponential
 * backoff and ±20 % jitter (so retries of a bad minute spread out), until
 * MAX_ATTEMPTS (those of RETRIED_ALL_DAY: without a limit, at most
 * RELAY_RETRY_MAX_MS apart); permanent ones none. `possibleDuplicate` flags that the message
 * may have been delivered although the send failed.
 */
export async function recordFailure(db: Db, claim: Claim, error: AppError, now: Date, options: { possibleDuplicate?: boolean } = {}): Promise<Date | undefined> {
  const allDay = RETRIED_ALL_DAY.has(error.code);
  const retry = !error.permanent && (allDay || claim.attempts < MAX_ATTEMPTS);
  const delay = Math.min(allDay ? RELAY_RETRY_MAX_MS : RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (Math.min(claim.attempts, 20) - 1)) * jitter(claim);
  const nextAttemptAt = retry ? new Date(now.getTime() + delay) : undefined;
  const message = `${error.message.slice(0, 900)}${retry || error.permanent ? "" : ` (gave up after ${claim.attempts} attempts)`}`;
  await sql(
    db,
    `UPDATE "Delivery" SET status = 'failed', "errorClass" = $2, error = $3, "nextAttemptAt" = $4, "leaseUntil" = NULL,
       "possibleDuplicate" = "possibleDuplicate" OR $5, "updatedAt" = $6
     WHERE id = $1`,
    [claim.deliveryId, error.code, message, nextAttemptAt ?? null, options.possibleDuplicate ?? false, now],
  );
  return nextAttemptAt;
}

/** 0.8–1.2, fixed per (delivery, attempt) so the schedule is reproducible. */
function jitter(claim: Claim): number {
  const seed = ((claim.deliveryId * 2654435761) ^ (claim.attempts * 40503)) >>> 0;
  return 0.8 + (seed % 401) / 1000;
}

/**
 * Records that there was nothing to send (and why), unless the digest has a row
 * that closes it (a queued row is the worker's own to close). With `papersUpTo` (the newest paper id considered) the skip is
 * provisional: any paper ingested after it reopens the digest, so a day whose
 * papers arrive late (a failed source, a run before the ingest) is not lost.
 */
export async function recordSkipped(db: Db, key: { subscriberId: number; digestKey: string; runId?: number }, reason: string, now: Date, papersUpTo?: number): Promise<boolean> {
  const written = await sql<{ id: number }>(
    db,
    `INSERT INTO "Delivery" ("subscriberId", "digestKey", "status", "error", "runId", "papersUpTo", "createdAt", "updatedAt")
     VALUES ($1, $2, 'skipped', $3, $4, $5, $6, $6)
     ON CONFLICT ("subscriberId", "digestKey") DO UPDATE SET
       status = 'skipped', error = EXCLUDED.error, "runId" = EXCLUDED."runId", "papersUpTo" = EXCLUDED."papersUpTo",
       "leaseUntil" = NULL, "updatedAt" = EXCLUDED."updatedAt"
     WHERE "Delivery".status = 'queued' OR ${reopenedSql('"Delivery"', "$6")}
     RETURNING id`,
    [key.subscriberId, key.digestKey, reason, key.runId ?? null, papersUpTo ?? null, now],
  );
  return written.length === 1;
}

/** The local day each subscriber's last sent digest (other than `digestKey`) went out, by subscriber id. */
export async function previousDigestDays(db: Db, page: Array<{ id: number; timezone: string }>, digestKey: string): Promise<Map<number, string>> {
  const rows = await sql<{ subscriberId: number; sentAt: Date }>(
    db,
    `SELECT DISTINCT ON ("subscriberId") "subscriberId", "sentAt" AT TIME ZONE 'UTC' AS "sentAt" FROM "Delivery"
     WHERE "subscriberId" = ANY($1::int[]) AND status = 'sent' AND "digestKey" <> $2 AND "sentAt" IS NOT NULL
     ORDER BY "subscriberId", "sentAt" DESC`,
    [page.map((subscriber) => subscriber.id), digestKey],
  );
  const zones = new Map(page.map((subscriber) => [subscriber.id, subscriber.timezone]));
  return new Map(rows.map((row) => [row.subscriberId, localTime(row.sentAt, zones.get(row.subscriberId) ?? "UTC").day]));
}

/** Which of `paperIds` each subscriber has been sent, by subscriber id (the papers never to send them again). */
export async function sentPaperIds(db: Db, subscriberIds: number[], paperIds: number[]): Promise<Map<number, Set<number>>> {
  const rows = await sql<{ subscriberId: number; paperId: number }>(db, `SELECT "subscriberId", "paperId" FROM "SentPaper" WHERE "subscriberId" = ANY($1::int[]) AND "paperId" = ANY($2::int[])`, [
    subscriberIds,
    paperIds,
  ]);
  const sent = new Map<number, Set<number>>();
  for (const row of rows) {
    const set = sent.get(row.subscriberId) ?? new Set<number>();
    set.add(row.paperId);
    sent.set(row.subscriberId, set);
  }
  return sent;
}

/** Which of `digestKeys` the ledger has closed for the subscriber at `now`: sent, held by a live claim or queue lease, failed for good, finally skipped (not reopenedSql). */
export async function closedDigestKeys(db: Db, subscriberId: number, digestKeys: string[], now: Date): Promise<Set<string>> {
  const rows = await sql<{ digestKey: string }>(db, `SELECT d."digestKey" FROM "Delivery" d WHERE d."subscriberId" = $2 AND d."digestKey" = ANY($3::text[]) AND NOT ${reopenedSql("d", "$1")}`, [
    now,
    subscriberId,
    digestKeys,
  ]);
  return new Set(rows.map((row) => row.digestKey));
}

export type SentDelivery = { digestKey: string; sentAt: Date; picks: SentPick[] };

/** The subscriber's sent digests, newest first: the one sent under `digestKey` (none or one), or the newest `take`. */
export async function sentDeliveries(db: Db, subscriberId: number, which: { digestKey: string } | { take: number }): Promise<SentDelivery[]> {
  const rows = await sql<{ digestKey: string; sentAt: Date; picks: Array<{ paperId: number; reason: string; score?: number }> | null }>(
    db,
    `SELECT "digestKey", coalesce("sentAt", "updatedAt") AT TIME ZONE 'UTC' AS "sentAt", picks FROM "Delivery"
     WHERE "subscriberId" = $1 AND status = 'sent' AND ($2::text IS NULL OR "digestKey" = $2)
     ORDER BY "sentAt" DESC NULLS LAST, id DESC LIMIT $3`,
    "digestKey" in which ? [subscriberId, which.digestKey, 1] : [subscriberId, null, which.take],
  );
  return rows.map((row) => ({ digestKey: row.digestKey, sentAt: row.sentAt, picks: (row.picks ?? []).map((pick) => ({ ...pick, score: pick.score ?? 0 })) }));
}

/** Ledger rows written by a run's sends, by status, plus possible duplicates. */
export type RunDeliveries = { sent: number; failed: number; skipped: number; sending: number; possibleDuplicates: number };

/** The rows of each of these runs, counted (runs without rows are missing). */
export async function deliveryCountsByRun(db: Db, runIds: number[]): Promise<Map<number, RunDeliveries>> {
  const rows = await sql<{ runId: number } & RunDeliveries>(
    db,
    `SELECT "runId",
            count(*) FILTER (WHERE status = 'sent')::int AS sent, count(*) FILTER (WHERE status = 'failed')::int AS failed,
            count(*) FILTER (WHERE status = 'skipped')::int AS skipped, count(*) FILTER (WHERE status = 'sending')::int AS sending,
            count(*) FILTER (WHERE "possibleDuplicate")::int AS "possibleDuplicates"
     FROM "Delivery" WHERE "runId" = ANY($1::int[]) GROUP BY "runId"`,
    [runIds],
  );
  return new Map(rows.map(({ runId, ...counts }) => [runId, counts]));
}

/** A subscriber's newest ledger rows, newest first (the operator's view). */
export function recentDeliveries(db: Db, subscriberId: number, take: number) {
  return sql<{ digestKey: string; status: string; paperIds: number[]; error: string | null }>(
    db,
    `SELECT "digestKey", status::text AS status, "paperIds", error FROM "Delivery" WHERE "subscriberId" = $1 ORDER BY "createdAt" DESC, id DESC LIMIT $2`,
    [subscriberId, take],
  );
}

/** Turns a claim into a skip (the subscriber left between planning and sending). */
export async function skipClaim(db: Db, claim: Claim, reason: string): Promise<void> {
  await sql(db, `UPDATE "Delivery" SET status = 'skipped', error = $2, "leaseUntil" = NULL, "papersUpTo" = NULL, "updatedAt" = now() WHERE id = $1`, [claim.deliveryId, reason]);
}
