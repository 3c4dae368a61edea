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

/**
 * How long a queued row waits for a worker before the planner may queue it again:
 * the job's own expiry for a batch on the queue. A run that sends its batches
 * itself (`paperboy run`) queues for CLAIM_LEASE_MS instead: it starts at once,
 * so a row still queued after that was left by a run that died, and the next run
 * takes it over with the claims the dead run held.
 */
export const QUEUE_LEASE_MS = 30 * 60 * 1000;

/**
 * Marks these subscribers' digest `queued` for one batch job, atomically: only
 * rows the planner may (re)plan (no row, or reopenedSql) are taken, so two
 * schedulers racing queue each subscriber once. Returns the subscriber ids this
 * call queued, in order; the batch job is for them alone. A queued row closes
 * the digest for the planner until its lease passes (a lost job) or a worker
 * releases it (deferred), and any worker may claim it.
 */
export async function queueDeliveries(db: Db, batch: { digestKey: string; ids: number[]; runId?: number }, now: Date, leaseMs = QUEUE_LEASE_MS): Promise<number[]> {
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
    [batch.ids, batch.digestKey, new Date(now.getTime() + leaseMs), batch.runId ?? null, now],
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
 * Atomically claims these subscribers' digest for sending, in one statement:
 * creates each row, or takes over a queued row, or one that reopenedSql allows: a
 * failed row due for retry, a "sending" row whose lease has passed (then the
 * earlier attempt may have gone out: possibleDuplicate), a provisional skip that
 * new papers reopened. Rows that are sent, finally skipped, permanently failed or
 * held by another worker are not claimed, nor subscribers that no longer exist.
 * Returns the claims by subscriber id. Ids are taken in order, so two workers
 * claiming overlapping pages lock rows in the same order and never deadlock.
 */
export async function claimDeliveries(db: Db, batch: { digestKey: string; ids: number[]; runId?: number }, now: Date): Promise<Map<number, Claim>> {
  if (batch.ids.length === 0) return new Map();
  const rows = await sql<{ id: number; subscriberId: number; attempts: number; possibleDuplicate: boolean; subscriberStatus: string | null }>(
    db,
    `INSERT INTO "Delivery" ("subscriberId", "digestKey", "status", "attempts", "leaseUntil", "runId", "createdAt", "updatedAt")
     SELECT s.id, $2, 'sending', 1, $3, $4, $5, $5 FROM "Subscriber" s WHERE s.id = ANY($1::int[]) ORDER BY s.id
     ON CONFLICT ("subscriberId", "digestKey") DO UPDATE SET
       "status" = 'sending',
       "attempts" = "Delivery"."attempts" + 1,
       "leaseUntil" = EXCLUDED."leaseUntil",
       "runId" = EXCLUDED."runId",
       "possibleDuplicate" = "Delivery"."possibleDuplicate" OR "Delivery"."status" = 'sending',
       "papersUpTo" = NULL,
       "updatedAt" = EXCLUDED."updatedAt"
     WHERE "Delivery"."status" = 'queued' OR ${reopenedSql('"Delivery"', "$5")}
     RETURNING "id", "subscriberId", "attempts", "possibleDuplicate",
       (SELECT status::text FROM "Subscriber" WHERE id = "Delivery"."subscriberId") AS "subscriberStatus"`,
    [[...new Set(batch.ids)], batch.digestKey, new Date(now.getTime() + CLAIM_LEASE_MS), batch.runId ?? null, now],
  );
  return new Map(rows.map((row) => [row.subscriberId, { deliveryId: row.id, attempts: row.attempts, possibleDuplicate: row.possibleDuplicate, subscriberStatus: row.subscriberStatus ?? "deleted" }]));
}

/**
 * Extends the lease of these claims (a slow relay: a chunk claimed together is
 * still being sent). Returns the ids renewed: a claim whose lease already passed
 * may have been taken over by another worker, and must not be sent on.
 */
export async function renewClaims(db: Db, deliveryIds: number[], now: Date): Promise<Set<number>> {
  if (deliveryIds.length === 0) return new Set();
  const rows = await sql<{ id: number }>(db, `UPDATE "Delivery" SET "leaseUntil" = $2 WHERE id = ANY($1::int[]) AND status = 'sending' AND "leaseUntil" >= $3 RETURNING id`, [
    deliveryIds,
    new Date(now.getTime() + CLAIM_LEASE_MS),
    now,
  ]);
  return new Set(rows.map((row) => row.id));
}

/** The status of each of these subscribers ("deleted" when gone), read again while a chunk of claims is sent. */
export async function subscriberStatuses(db: Db, subscriberIds: number[]): Promise<Map<number, string>> {
  const rows = await sql<{ id: number; status: string }>(db, `SELECT id, status::text AS status FROM "Subscriber" WHERE id = ANY($1::int[])`, [subscriberIds]);
  const statuses = new Map(rows.map((row) => [row.id, row.status]));
  return new Map(subscriberIds.map((id) => [id, statuses.get(id) ?? "deleted"]));
}

/** A paper as sent: never sent to the subscriber again; why it was picked and its score are kept for the web view. */
export type SentPick = { paperId: number; reason: string; score: number };

/**
 * What became of a claim: sent (with its papers), failed (with the next attempt,
 * if any), skipped (the subscriber left after planning) or released (not tried:
 * sending paused; the row goes back to the planner, the attempt not counted).
 */
export type ClaimOutcome = { claim: Claim; at: Date } & (
  | { kind: "sent"; subscriberId: number; messageId: string; picks: SentPick[] }
  | { kind: "failed"; errorClass: string; error: string; nextAttemptAt?: Date; possibleDuplicate: boolean }
  | { kind: "skipped"; reason: string }
  | { kind: "released" }
);

/**
 * Records outcomes in one statement, so one round trip and atomic: the rows, the
 * papers never to send again, the bounce counts reset by a send.
 */
export async function recordOutcomes(db: Db, outcomes: ClaimOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  const rows = outcomes.map(({ claim, at, ...outcome }) => ({
    id: claim.deliveryId,
    kind: outcome.kind,
    at,
    ...(outcome.kind === "sent" ? { subscriberId: outcome.subscriberId, messageId: outcome.messageId, picks: outcome.picks.map(({ paperId, reason, score }) => ({ paperId, reason, score })) } : {}),
    ...(outcome.kind === "failed" ? { errorClass: outcome.errorClass, error: outcome.error, nextAttemptAt: outcome.nextAttemptAt ?? null, possibleDuplicate: outcome.possibleDuplicate } : {}),
    ...(outcome.kind === "skipped" ? { error: outcome.reason } : {}),
  }));
  await sql(
    db,
    `WITH t AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(id int, kind text, at timestamp(3), "subscriberId" int, "messageId" text, picks jsonb,
         "errorClass" text, error text, "nextAttemptAt" timestamp(3), "possibleDuplicate" boolean)
     ), sent AS (
       UPDATE "Delivery" d SET status = 'sent', "messageId" = t."messageId", picks = t.picks,
         "paperIds" = ARRAY(SELECT (e.pick->>'paperId')::int FROM jsonb_array_elements(t.picks) WITH ORDINALITY AS e(pick, n) ORDER BY e.n),
         "sentAt" = t.at, "leaseUntil" = NULL, "errorClass" = NULL, error = NULL, "nextAttemptAt" = NULL, "updatedAt" = t.at
       FROM t WHERE t.kind = 'sent' AND d.id = t.id
     ), failed AS (
       UPDATE "Delivery" d SET status = 'failed', "errorClass" = t."errorClass", error = t.error, "nextAttemptAt" = t."nextAttemptAt", "leaseUntil" = NULL,
         "possibleDuplicate" = d."possibleDuplicate" OR t."possibleDuplicate", "updatedAt" = t.at
       FROM t WHERE t.kind = 'failed' AND d.id = t.id
     ), skipped AS (
       UPDATE "Delivery" d SET status = 'skipped', error = t.error, "leaseUntil" = NULL, "papersUpTo" = NULL, "updatedAt" = t.at
       FROM t WHERE t.kind = 'skipped' AND d.id = t.id
     ), released AS (
       UPDATE "Delivery" d SET status = 'queued', attempts = d.attempts - 1, "leaseUntil" = t.at, "updatedAt" = t.at
       FROM t WHERE t.kind = 'released' AND d.id = t.id
     ), papers AS (
       INSERT INTO "SentPaper" ("subscriberId", "paperId", "sentAt")
       SELECT t."subscriberId", (e.pick->>'paperId')::int, t.at FROM t, jsonb_array_elements(t.picks) AS e(pick) WHERE t.kind = 'sent'
       ON CONFLICT DO NOTHING
     )
     UPDATE "Subscriber" s SET "softBounces" = 0 FROM t WHERE t.kind = 'sent' AND s.id = t."subscriberId" AND s."softBounces" > 0`,
    [JSON.stringify(rows)],
  );
}

/**
 * A failed claim's outcome. Temporary errors get a next attempt with exponential
 * backoff and ±20 % jitter (so retries of a bad minute spread out), until
 * MAX_ATTEMPTS (those of RETRIED_ALL_DAY: without a limit, at most
 * RELAY_RETRY_MAX_MS apart); permanent ones none. `possibleDuplicate` flags that the message
 * may have been delivered although the send failed.
 */
export function failedOutcome(claim: Claim, error: AppError, now: Date, possibleDuplicate = false): ClaimOutcome & { kind: "failed" } {
  const allDay = RETRIED_ALL_DAY.has(error.code);
  const retry = !error.permanent && (allDay || claim.attempts < MAX_ATTEMPTS);
  const delay = Math.min(allDay ? RELAY_RETRY_MAX_MS : RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (Math.min(claim.attempts, 20) - 1)) * jitter(claim);
  const message = `${error.message.slice(0, 900)}${retry || error.permanent ? "" : ` (gave up after ${claim.attempts} attempts)`}`;
  return { kind: "failed", claim, at: now, errorClass: error.code, error: message, nextAttemptAt: retry ? new Date(now.getTime() + delay) : undefined, possibleDuplicate };
}

/** 0.8–1.2, fixed per (delivery, attempt) so the schedule is reproducible. */
function jitter(claim: Claim): number {
  const seed = ((claim.deliveryId * 2654435761) ^ (claim.attempts * 40503)) >>> 0;
  return 0.8 + (seed % 401) / 1000;
}

/**
 * Records that there was nothing to send to these subscribers (and why), in one
 * statement, except where the digest has a row that closes it (a queued row is
 * the worker's own to close). With `papersUpTo` (the newest paper id considered)
 * the skips are provisional: any paper ingested after it reopens the digest, so a
 * day whose papers arrive late (a failed source, a run before the ingest) is not
 * lost. Returns the subscriber ids written.
 */
export async function recordSkips(db: Db, key: { digestKey: string; runId?: number; papersUpTo?: number }, skips: Array<{ subscriberId: number; reason: string }>, now: Date): Promise<Set<number>> {
  if (skips.length === 0) return new Set();
  const written = await sql<{ subscriberId: number }>(
    db,
    `INSERT INTO "Delivery" ("subscriberId", "digestKey", "status", "error", "runId", "papersUpTo", "createdAt", "updatedAt")
     SELECT s.id, $3, 'skipped', r.reason, $4, $5, $6, $6
     FROM unnest($1::int[], $2::text[]) AS r(id, reason) JOIN "Subscriber" s ON s.id = r.id ORDER BY s.id
     ON CONFLICT ("subscriberId", "digestKey") DO UPDATE SET
       status = 'skipped', error = EXCLUDED.error, "runId" = EXCLUDED."runId", "papersUpTo" = EXCLUDED."papersUpTo",
       "leaseUntil" = NULL, "updatedAt" = EXCLUDED."updatedAt"
     WHERE "Delivery".status = 'queued' OR ${reopenedSql('"Delivery"', "$6")}
     RETURNING "subscriberId"`,
    [skips.map((skip) => skip.subscriberId), skips.map((skip) => skip.reason), key.digestKey, key.runId ?? null, key.papersUpTo ?? null, now],
  );
  return new Set(written.map((row) => row.subscriberId));
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

/**
 * Which of `paperIds` each subscriber has been sent, by subscriber id (the papers
 * never to send them again). The ids of a candidate set are a range (papers are
 * numbered as ingested): the query asks for the range and the rest is filtered
 * here, rather than sending thousands of ids with every preview.
 */
export async function sentPaperIds(db: Db, subscriberIds: number[], paperIds: number[]): Promise<Map<number, Set<number>>> {
  const sent = new Map<number, Set<number>>();
  if (subscriberIds.length === 0 || paperIds.length === 0) return sent;
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const id of paperIds) {
    if (id < low) low = id;
    if (id > high) high = id;
  }
  const wanted = new Set(paperIds);
  const rows = await sql<{ subscriberId: number; paperId: number }>(db, `SELECT "subscriberId", "paperId" FROM "SentPaper" WHERE "subscriberId" = ANY($1::int[]) AND "paperId" BETWEEN $2 AND $3`, [
    subscriberIds,
    low,
    high,
  ]);
  for (const row of rows) {
    if (!wanted.has(row.paperId)) continue;
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
  return sql<{ digestKey: string; status: string; paperIds: number[]; error: string | null; sentAt: Date | null; possibleDuplicate: boolean }>(
    db,
    `SELECT "digestKey", status::text AS status, "paperIds", error, "sentAt" AT TIME ZONE 'UTC' AS "sentAt", "possibleDuplicate" FROM "Delivery" WHERE "subscriberId" = $1 ORDER BY "createdAt" DESC, id DESC LIMIT $2`,
    [subscriberId, take],
  );
}
