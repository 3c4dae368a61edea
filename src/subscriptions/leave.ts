// Leaving and one's data: unsubscribe (RFC 8058), re-subscribe, export, delete.
import type { Db } from "../db/client.ts";
import { formatTopic } from "../matching/topics.ts";
import { hashAddress, type SubscriberWithTopics } from "./store.ts";
import { suppressHash } from "./suppress.ts";

/**
 * Stops all mail at once and, the first time, revokes every signed link (the
 * manage link must not read or change anything afterwards; unsubscribe links keep
 * unsubscribing, see findSubscriberByToken). Idempotent: a second call changes
 * nothing. Planned digests not yet sent are skipped at send time.
 */
export async function unsubscribe(db: Db, subscriberId: number, now: Date): Promise<void> {
  await db.subscriber.updateMany({
    where: { id: subscriberId, status: { not: "unsubscribed" } },
    data: { status: "unsubscribed", unsubscribedAt: now, tokenVersion: { increment: 1 } },
  });
}

/**
 * Undoes an unsubscribe from the goodbye page. A subscriber who had confirmed is
 * active again at once; returns false when the address must confirm first.
 */
export async function resubscribe(db: Db, subscriber: SubscriberWithTopics, now: Date): Promise<boolean> {
  const row = await db.subscriber.findUnique({ where: { id: subscriber.id }, select: { confirmedAt: true, status: true } });
  if (!row?.confirmedAt || row.status === "complained" || row.status === "bounced") return false;
  await db.subscriber.update({ where: { id: subscriber.id }, data: { status: "active", unsubscribedAt: null, consentAt: now, consentSource: "resubscribe" } });
  return true;
}

/**
 * Erases the subscriber and everything about them (topics links, ledger, sent
 * papers, feedback). With `suppress`, the address's hash stays on the suppression
 * list so it is never mailed again. Every link dies with the row: ids are never
 * reused, and a later subscription of the address is a new row.
 */
export async function deleteSubscriber(db: Db, subscriber: { id: number; email: string }, options: { suppress: boolean }): Promise<void> {
  await db.$transaction(async (tx) => {
    if (options.suppress) {
      await suppressHash(tx, hashAddress(subscriber.email), "deleted on request");
    }
    await tx.subscriber.deleteMany({ where: { id: subscriber.id } });
  });
}

/** Everything stored about the subscriber, as plain JSON (for the "your data" download). */
export async function exportSubscriber(db: Db, subscriberId: number): Promise<Record<string, unknown>> {
  const row = await db.subscriber.findUniqueOrThrow({
    where: { id: subscriberId },
    include: {
      topics: { include: { topic: true } },
      deliveries: { orderBy: { createdAt: "asc" } },
      sentPapers: { include: { paper: { select: { arxivId: true, title: true } } }, orderBy: { sentAt: "asc" } },
      feedback: { include: { paper: { select: { arxivId: true } } } },
    },
  });
  return {
    exportedFrom: "paperboy",
    subscriber: {
      email: row.email,
      status: row.status,
      timezone: row.timezone,
      sendHour: row.sendHour,
      cadence: row.cadence,
      popularity: row.popularity,
      maxPapers: row.maxPapers,
      pausedUntil: row.pausedUntil,
      createdAt: row.createdAt,
      confirmedAt: row.confirmedAt,
      unsubscribedAt: row.unsubscribedAt,
      consent: { at: row.consentAt, source: row.consentSource, ipAddressHash: row.consentIpHash },
    },
    topics: row.topics.map(({ topic }) => formatTopic({ kind: topic.kind, query: topic.query })),
    deliveries: row.deliveries.map((delivery) => ({
      digest: delivery.digestKey,
      status: delivery.status,
      attempts: delivery.attempts,
      sentAt: delivery.sentAt,
      messageId: delivery.messageId,
      error: delivery.error,
    })),
    papersSent: row.sentPapers.map((sent) => ({ arxivId: sent.paper.arxivId, title: sent.paper.title, sentAt: sent.sentAt })),
    feedback: row.feedback.map((vote) => ({ arxivId: vote.paper.arxivId, vote: vote.vote, at: vote.createdAt })),
  };
}
