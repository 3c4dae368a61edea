// Who is due for a digest: streamed in keyset pages so memory does not grow with the list.
import type { Db } from "../db/client.ts";
import type { TopicSpec } from "../matching/topics.ts";
import { toSubscriber, WITH_TOPICS, type SubscriberWithTopics } from "../subscriptions/subscriptions.ts";

export type DueSubscriber = SubscriberWithTopics;

const PAGE_SIZE = 500;

/**
 * Active, unpaused subscribers with no final ledger row for `digestKey`: not
 * sent, skipped, held by a live claim, or failed without a retry due.
 * Read-only; the ledger claim at send time stays the authority.
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
