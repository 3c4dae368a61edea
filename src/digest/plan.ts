// The planner: who is due for which digest, streamed in keyset pages so memory
// does not grow with the list, and cut into batches. `tick` enqueues the batches
// for the workers; `paperboy run` and the demo process them inline (run-digest.ts).
import { sql, type Db } from "../db/client.ts";
import { reopenedSql } from "../delivery/ledger.ts";
import { digestKeySql } from "../digest-key.ts";

const PAGE_SIZE = 500;
export const BATCH_SIZE = 200;

/** One subscriber due for one digest; `day` is their local date. */
export type DueEntry = { id: number; digestKey: string; day: string };

/** Subscribers (by id) due for the same digest key; `day` is their local date. */
export type DigestBatch = { digestKey: string; day: string; ids: number[]; runId?: number };

/** One page of the plan: who is due, and how many subscribers scheduled for a digest already have it closed in the ledger, by the closing row's status. */
export type DuePage = { due: DueEntry[]; closed: { sent: number; skipped: number; other: number } };

export type PlanOptions = {
  now: Date;
  /**
   * Plan the digests of this local day for everyone, as at its end (so every
   * send hour has passed): `paperboy run --date` and the demo. Without it each
   * subscriber's local time at `now` decides.
   */
  day?: string;
  /** Only these addresses (the demo). */
  onlyEmails?: string[];
  /** Leave out subscribers whose consent came from these sources: the scheduler never plans the demo's example addresses. */
  skipSources?: string[];
};

/**
 * Subscribers due, each with their digest key, computed in their own time zone
 * by PostgreSQL: active; local hour at or past their send hour; cadence includes
 * their local day (weekdays: Mon–Fri; weekly: once per ISO week); not paused;
 * digest not closed in the ledger (see reopenedSql). Keys are `daily:<local
 * date>` and `weekly:<ISO week>`, so a DST change can neither skip nor repeat a
 * day, and a tick after downtime catches up today's digest. Read-only.
 */
export async function* findDue(db: Db, options: PlanOptions, pageSize = PAGE_SIZE): AsyncGenerator<DuePage> {
  let after = 0;
  for (;;) {
    const rows = await sql<{ id: number; digest_key: string; day: string; scheduled: boolean; closed: string | null }>(
      db,
      `WITH page AS (
         SELECT id, cadence::text AS cadence, "sendHour", "pausedUntil",
                coalesce($4::date + time '23:59:59', $1::timestamptz AT TIME ZONE timezone) AS local
         FROM "Subscriber"
         WHERE status = 'active' AND id > $2 AND ($5::text[] IS NULL OR email = ANY($5::text[]))
           AND ($6::text[] IS NULL OR "consentSource" IS NULL OR NOT ("consentSource" = ANY($6::text[])))
         ORDER BY id LIMIT $3
       ), k AS (
         SELECT page.*, ${digestKeySql("cadence", "local")} AS digest_key FROM page
       )
       SELECT id, digest_key, to_char(local, 'YYYY-MM-DD') AS day,
              (extract(hour FROM local) >= "sendHour"
               AND (cadence <> 'weekdays' OR extract(isodow FROM local) <= 5)
               AND ("pausedUntil" IS NULL OR "pausedUntil" <= local::date)) AS scheduled,
              (SELECT d.status::text FROM "Delivery" d
               WHERE d."subscriberId" = k.id AND d."digestKey" = k.digest_key AND NOT ${reopenedSql("d", "$1")}) AS closed
       FROM k ORDER BY id`,
      [options.now, after, pageSize, options.day ?? null, options.onlyEmails ?? null, options.skipSources ?? null],
    );
    if (rows.length === 0) return;
    const page: DuePage = { due: [], closed: { sent: 0, skipped: 0, other: 0 } };
    for (const row of rows) {
      if (!row.scheduled) continue;
      if (row.closed === null) page.due.push({ id: row.id, digestKey: row.digest_key, day: row.day });
      else if (row.closed === "sent" || row.closed === "skipped") page.closed[row.closed]++;
      else page.closed.other++;
    }
    yield page;
    after = rows.at(-1)?.id ?? after;
    if (rows.length < pageSize) return;
  }
}

/** Cuts a page of due subscribers into batches of at most BATCH_SIZE with one digest key each, in order. */
export function toBatches(due: DueEntry[], runId?: number): DigestBatch[] {
  const byKey = new Map<string, { day: string; ids: number[] }>();
  for (const entry of due) {
    const group = byKey.get(entry.digestKey) ?? { day: entry.day, ids: [] };
    group.ids.push(entry.id);
    byKey.set(entry.digestKey, group);
  }
  const batches: DigestBatch[] = [];
  for (const [digestKey, group] of byKey) {
    for (let i = 0; i < group.ids.length; i += BATCH_SIZE) batches.push({ digestKey, day: group.day, ids: group.ids.slice(i, i + BATCH_SIZE), runId });
  }
  return batches;
}
