// Who is due for a digest: streamed in keyset pages so memory does not grow with the list.
import { sql, type Db } from "../db/client.ts";
import type { TopicSpec } from "../matching/topics.ts";
import { reopenedSql } from "../delivery/ledger.ts";
import { loadActiveSubscribers, type SubscriberWithTopics } from "../subscriptions/subscriptions.ts";
import { dayStart } from "../days.ts";
import { digestKeySql } from "./digest-key.ts";

export type DueSubscriber = SubscriberWithTopics;

const PAGE_SIZE = 500;

/** No ledger row closes the digest of subscriber `k.id` under `k.digest_key` ($1 = now). */
const OPEN_SQL = `NOT EXISTS (
  SELECT 1 FROM "Delivery" d
  WHERE d."subscriberId" = k.id AND d."digestKey" = k.digest_key AND NOT ${reopenedSql("d", "$1")})`;

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
         SELECT page.*, ${digestKeySql("cadence", "local")} AS digest_key FROM page
       )
       SELECT id, digest_key, to_char(local, 'YYYY-MM-DD') AS day,
              (extract(hour FROM local) >= "sendHour"
               AND (cadence <> 'weekdays' OR extract(isodow FROM local) <= 5)
               AND ("pausedUntil" IS NULL OR "pausedUntil" <= local::date)
               AND ${OPEN_SQL}) AS due
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
 * Active subscribers, not paused on `day`, whose digest `digestKey` is still open
 * in the ledger (one digest date for everyone, as `paperboy run --date` sends it),
 * optionally only those with the given addresses. Read-only.
 */
export async function* findDueSubscribers(
  db: Db,
  { digestKey, day, now, onlyEmails }: { digestKey: string; day: string; now: Date; onlyEmails?: string[] },
  pageSize = PAGE_SIZE,
): AsyncGenerator<DueSubscriber[]> {
  let after = 0;
  for (;;) {
    const rows = await sql<{ id: number; due: boolean }>(
      db,
      `WITH k AS (
         SELECT id, $2::text AS digest_key, "pausedUntil" FROM "Subscriber"
         WHERE status = 'active' AND id > $3 AND ($5::text[] IS NULL OR email = ANY($5::text[])) ORDER BY id LIMIT $4
       )
       SELECT id, (("pausedUntil" IS NULL OR "pausedUntil" <= $6::timestamp) AND ${OPEN_SQL}) AS due FROM k ORDER BY id`,
      [now, digestKey, after, pageSize, onlyEmails ?? null, dayStart(day)],
    );
    if (rows.length === 0) return;
    const due = rows.filter((row) => row.due).map((row) => row.id);
    if (due.length > 0) yield await loadActiveSubscribers(db, due);
    after = rows.at(-1)?.id ?? after;
    if (rows.length < pageSize) return;
  }
}

/** Distinct topics followed by at least one active subscriber. */
export async function findActiveTopics(db: Db): Promise<TopicSpec[]> {
  const rows = await db.topic.findMany({ where: { subscribers: { some: { subscriber: { status: "active" } } } }, select: { kind: true, query: true } });
  return rows.map((row) => ({ kind: row.kind as TopicSpec["kind"], query: row.query }));
}
