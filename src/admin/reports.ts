// What the operator's pages show, read from the database (read-only): subscribers
// found by address, status or topic; one subscriber whole; the last 30 days day by
// day. Raw SQL: searches and per-day counts Prisma would need several queries for.
import { sql, type Db } from "../db/client.ts";
import { toDay } from "../days.ts";
import { recentDeliveries } from "../delivery/ledger.ts";
import { formatTopic, type TopicSpec } from "../matching/topics.ts";
import { findSubscriber, findSuppression, type SubscriberWithTopics } from "../subscriptions/store.ts";

export const PAGE_SIZE = 50;

export type SubscriberRow = { id: number; email: string; status: string; cadence: string; timezone: string; createdAt: Date; topics: string[]; lastSentAt: Date | null };

export type SubscriberSearch = { query?: string; status?: string; topic?: string; page?: number };

/** Subscribers whose address contains `query`, with `status`, following a topic whose words contain `topic`; newest first, PAGE_SIZE a page. */
export async function searchSubscribers(db: Db, search: SubscriberSearch): Promise<{ rows: SubscriberRow[]; total: number; page: number; pages: number }> {
  const page = Math.max(1, Math.floor(search.page ?? 1));
  const like = (text: string | undefined) => (text ? `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%` : null);
  const where = `($1::text IS NULL OR s.email ILIKE $1) AND ($2::text IS NULL OR s.status::text = $2)
     AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM "SubscriberTopic" st JOIN "Topic" t ON t.id = st."topicId" WHERE st."subscriberId" = s.id AND t.query ILIKE $3))`;
  const params = [like(search.query?.trim().toLowerCase()), search.status || null, like(search.topic?.trim())];
  const [count] = await sql<{ n: number }>(db, `SELECT count(*)::int AS n FROM "Subscriber" s WHERE ${where}`, params);
  const rows = await sql<Omit<SubscriberRow, "topics"> & { kinds: Array<TopicSpec["kind"]>; queries: string[] }>(
    db,
    `SELECT s.id, s.email, s.status::text AS status, s.cadence::text AS cadence, s.timezone, s."createdAt" AT TIME ZONE 'UTC' AS "createdAt",
            coalesce(array_agg(t.kind::text ORDER BY st."createdAt", t.id) FILTER (WHERE t.id IS NOT NULL), '{}') AS kinds,
            coalesce(array_agg(t.query ORDER BY st."createdAt", t.id) FILTER (WHERE t.id IS NOT NULL), '{}') AS queries,
            (SELECT max(d."sentAt") AT TIME ZONE 'UTC' FROM "Delivery" d WHERE d."subscriberId" = s.id AND d.status = 'sent') AS "lastSentAt"
     FROM "Subscriber" s LEFT JOIN "SubscriberTopic" st ON st."subscriberId" = s.id LEFT JOIN "Topic" t ON t.id = st."topicId"
     WHERE ${where} GROUP BY s.id ORDER BY s.id DESC LIMIT ${PAGE_SIZE} OFFSET $4`,
    [...params, (page - 1) * PAGE_SIZE],
  );
  const total = count?.n ?? 0;
  return {
    rows: rows.map(({ kinds, queries, ...row }) => ({ ...row, topics: kinds.map((kind, i) => formatTopic({ kind, query: queries[i]! })) })),
    total,
    page,
    pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
  };
}

export type SubscriberDetail = {
  subscriber: SubscriberWithTopics & { createdAt: Date; confirmedAt: Date | null; unsubscribedAt: Date | null; consentSource: string | null; softBounces: number };
  deliveries: Array<{ digestKey: string; status: string; sentAt: Date | null; error: string | null; possibleDuplicate: boolean; papers: Array<{ arxivId: string; title: string }> }>;
  feedback: Array<{ vote: number; at: Date; arxivId: string; title: string }>;
  suppression?: { reason: string; since: Date };
};

/** One subscriber: settings, topics, their last 30 deliveries with the papers each carried, their votes, a suppression of their address. */
export async function subscriberDetail(db: Db, id: number): Promise<SubscriberDetail | undefined> {
  const subscriber = await findSubscriber(db, { id });
  if (!subscriber) return undefined;
  const [extra] = await sql<{ createdAt: Date; confirmedAt: Date | null; unsubscribedAt: Date | null; consentSource: string | null; softBounces: number }>(
    db,
    `SELECT "createdAt" AT TIME ZONE 'UTC' AS "createdAt", "confirmedAt" AT TIME ZONE 'UTC' AS "confirmedAt", "unsubscribedAt" AT TIME ZONE 'UTC' AS "unsubscribedAt", "consentSource", "softBounces" FROM "Subscriber" WHERE id = $1`,
    [id],
  );
  const deliveries = await recentDeliveries(db, id, 30);
  const paperIds = [...new Set(deliveries.flatMap((delivery) => delivery.paperIds))];
  const papers = new Map(
    (paperIds.length === 0 ? [] : await sql<{ id: number; arxivId: string; title: string }>(db, `SELECT id, "arxivId", title FROM "Paper" WHERE id = ANY($1::int[])`, [paperIds])).map((paper) => [
      paper.id,
      paper,
    ]),
  );
  const feedback = await sql<{ vote: number; at: Date; arxivId: string; title: string }>(
    db,
    `SELECT f.vote, f."createdAt" AT TIME ZONE 'UTC' AS at, p."arxivId", p.title FROM "Feedback" f JOIN "Paper" p ON p.id = f."paperId" WHERE f."subscriberId" = $1 ORDER BY f."createdAt" DESC, f.id DESC LIMIT 100`,
    [id],
  );
  const suppression = await findSuppression(db, subscriber.email);
  return {
    subscriber: { ...subscriber, ...extra! },
    deliveries: deliveries.map((delivery) => ({
      digestKey: delivery.digestKey,
      status: delivery.status,
      sentAt: delivery.sentAt,
      error: delivery.error,
      possibleDuplicate: delivery.possibleDuplicate,
      papers: delivery.paperIds.flatMap((paperId) => (papers.has(paperId) ? [papers.get(paperId)!] : [])),
    })),
    feedback,
    suppression: suppression ? { reason: suppression.reason, since: suppression.createdAt } : undefined,
  };
}

export type DayCounts = { day: string; sent: number; failed: number; bounced: number; unsubscribed: number; subscribed: number };

/** For each of the `days` days up to `now` (UTC): digests sent, deliveries failed, addresses suppressed for a bounce or complaint, unsubscribes, new subscribers (confirmed or added). */
export async function dailyCounts(db: Db, now: Date, days = 30): Promise<DayCounts[]> {
  const until = toDay(now);
  const rows = await sql<{ day: string; sent: number; failed: number; bounced: number; unsubscribed: number; subscribed: number }>(
    db,
    `WITH days AS (SELECT to_char(d, 'YYYY-MM-DD') AS day FROM generate_series($1::date - ($2::int - 1), $1::date, interval '1 day') AS d)
     SELECT days.day,
       (SELECT count(*)::int FROM "Delivery" WHERE status = 'sent' AND to_char("sentAt", 'YYYY-MM-DD') = days.day) AS sent,
       (SELECT count(*)::int FROM "Delivery" WHERE status = 'failed' AND to_char("updatedAt", 'YYYY-MM-DD') = days.day) AS failed,
       (SELECT count(*)::int FROM "Suppression" WHERE (reason ILIKE '%bounce%' OR reason ILIKE '%complain%') AND to_char("createdAt", 'YYYY-MM-DD') = days.day) AS bounced,
       (SELECT count(*)::int FROM "Subscriber" WHERE to_char("unsubscribedAt", 'YYYY-MM-DD') = days.day) AS unsubscribed,
       (SELECT count(*)::int FROM "Subscriber" WHERE to_char(coalesce("confirmedAt", CASE WHEN status <> 'pending' THEN "createdAt" END), 'YYYY-MM-DD') = days.day) AS subscribed
     FROM days ORDER BY days.day`,
    [until, days],
  );
  return rows;
}
