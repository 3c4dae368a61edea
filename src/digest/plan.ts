// Who is due for a digest: streamed in keyset pages so memory does not grow with the list.
import { sql, type Db } from "../db/client.ts";
import type { TopicSpec } from "../matching/topics.ts";
import { toSubscriber, WITH_TOPICS, type SubscriberWithTopics } from "../subscriptions/subscriptions.ts";

export type DueSubscriber = SubscriberWithTopics;

const PAGE_SIZE = 500;

/**
 * A digest is final in the ledger when sent or skipped, held by a live claim, or
 * failed with no retry due yet. Anything else may be (re)planned; the claim at
 * send time stays the authority.
 */
const NOT_FINAL_SQL = `NOT EXISTS (
  SELECT 1 FROM "Delivery" d
  WHERE d."subscriberId" = k.id AND d."digestKey" = k.digest_key
    AND (d.status IN ('sent', 'skipped')
      OR (d.status = 'failed' AND (d."nextAttemptAt" IS NULL OR d."nextAttemptAt" > $1))
      OR (d.status IN ('sending', 'queued') AND d."leaseUntil" >= $1)))`;

export type DueEntry = { id: number; digestKey: string; day: string };

/**
 * Subscribers due at `now`, each with their digest key, computed in their own
 * time zone by PostgreSQL: active; local hour at or past their send hour; cadence
 * includes their local today (weekdays: Mon–Fri; weekly: once per ISO week); not
 * paused; digest not final in the ledger. Keys are `daily:<local date>` and
 * `weekly:<ISO week>`, so a DST change can neither skip nor repeat a day, and a
 * tick after downtime catches up today's digest. Read-only.
 */
export async function* findDueByLocalTime(db: Db, now: Date, pageSize = PAGE_SIZE): AsyncGenerator<DueEntry[]> {
  let after = 0;
  for (;;) {
    const rows = await sql<{ id: number; digest_key: string; day: string; due: boolean }>(
      db,
      `WITH page AS (
         SELECT id, cadence::text AS cadence, "sendHour", "pausedUntil", ($1::timestamptz AT TIME ZONE timezone) AS local
         FROM "Subscriber" WHERE status = 'active' AND id > $2 ORDER BY id LIMIT $3
       ), k AS (
         SELECT page.*, CASE WHEN cadence = 'weekly' THEN 'weekly:' || to_char(local, 'IYYY-"W"IW')
                             ELSE 'daily:' || to_char(local, 'YYYY-MM-DD') END AS digest_key
         FROM page
       )
       SELECT id, digest_key, to_char(local, 'YYYY-MM-DD') AS day,
              (extract(hour FROM local) >= "sendHour"
               AND (cadence <> 'weekdays' OR extract(isodow FROM local) <= 5)
               AND ("pausedUntil" IS NULL OR "pausedUntil" <= local::date)
               AND ${NOT_FINAL_SQL}) AS due
       FROM k ORDER BY id`,
      [now, after, pageSize],
    );
    if (rows.length === 0) return;
    const due = rows.filter((row) => row.due).map((row) => ({ id: row.id, digestKey: row.digest_key, day: row.day }));
    if (due.length > 0) yield due;
    after = rows.at(-1)?.id ?? after;
    if (rows.length < pageSize) return;
  }
}

/**
 * Active, unpaused subscribers with no final ledger row for `digestKey` (one
 * digest date for everyone, as `paperboy run --date` sends it). Read-only.
 */
export async function* findDueSubscribers(
  db: Db,
  { digestKey, day, now, onlyEmails }: { digestKey: string; day: Date; now: Date; onlyEmails?: string[] },
): AsyncGenerator<DueSubscriber[]> {
  let after = 0;
  for (;;) {
    const rows = await db.subscriber.findMany({
      where: {
        id: { gt: after },
        ...(onlyEmails ? { email: { in: onlyEmails } } : {}),
        status: "active",
        OR: [{ pausedUntil: null }, { pausedUntil: { lte: day } }],
        deliveries: {
          none: {
            digestKey,
            OR: [
              { status: { in: ["sent", "skipped"] } },
              { status: "failed", OR: [{ nextAttemptAt: null }, { nextAttemptAt: { gt: now } }] },
              { status: { in: ["sending", "queued"] }, leaseUntil: { gte: now } },
            ],
          },
        },
      },
      orderBy: { id: "asc" },
      take: PAGE_SIZE,
      include: WITH_TOPICS,
    });
    if (rows.length === 0) return;
    yield rows.map(toSubscriber);
    after = rows.at(-1)?.id ?? after;
    if (rows.length < PAGE_SIZE) return;
  }
}

/** Distinct topics followed by at least one active subscriber. */
export async function findActiveTopics(db: Db): Promise<TopicSpec[]> {
  const rows = await db.topic.findMany({ where: { subscribers: { some: { subscriber: { status: "active" } } } }, select: { kind: true, query: true } });
  return rows.map((row) => ({ kind: row.kind as TopicSpec["kind"], query: row.query }));
}
