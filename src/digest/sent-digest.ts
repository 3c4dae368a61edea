// A digest as it was sent, from the ledger: "view in browser", the Atom feed and
// `paperboy preview` of a date already sent all show it from here.
import type { Db } from "../db/client.ts";
import type { DigestEntry } from "../rendering/render-digest.ts";
import { localTime } from "../days.ts";
import { parseDigestKey, type DigestKey } from "../digest-key.ts";

export type SentDigest = {
  key: DigestKey;
  /** The date the email showed: the digest's day (daily), the local day it went out (weekly). */
  day: string;
  sentAt: Date;
  entries: Array<DigestEntry & { paperId: number; score: number }>;
};

type StoredPick = { paperId: number; reason: string; score?: number };

/**
 * The digest sent to the subscriber under `key`, its papers in the order sent
 * with the reasons they were picked; undefined when nothing was sent under it.
 * Throws INVALID_ARGUMENT for a malformed key. Read-only.
 */
export async function loadSentDigest(db: Db, subscriber: { id: number; timezone: string }, key: string): Promise<SentDigest | undefined> {
  const parsed = parseDigestKey(key);
  const delivery = await db.delivery.findUnique({ where: { subscriberId_digestKey: { subscriberId: subscriber.id, digestKey: parsed.key } } });
  if (!delivery || delivery.status !== "sent") return undefined;
  return toSentDigest(db, subscriber, parsed, delivery);
}

/** The last `count` digests sent to the subscriber, newest first. Read-only. */
export async function listSentDigests(db: Db, subscriber: { id: number; timezone: string }, count: number): Promise<SentDigest[]> {
  const deliveries = await db.delivery.findMany({ where: { subscriberId: subscriber.id, status: "sent" }, orderBy: { sentAt: "desc" }, take: count });
  return Promise.all(deliveries.map((delivery) => toSentDigest(db, subscriber, parseDigestKey(delivery.digestKey), delivery)));
}

async function toSentDigest(db: Db, subscriber: { timezone: string }, key: DigestKey, delivery: { picks: unknown; sentAt: Date | null; updatedAt: Date }): Promise<SentDigest> {
  const picks = (delivery.picks as StoredPick[] | null) ?? [];
  const papers = await db.paper.findMany({ where: { id: { in: picks.map((pick) => pick.paperId) } } });
  const byId = new Map(papers.map((paper) => [paper.id, paper]));
  const sentAt = delivery.sentAt ?? delivery.updatedAt;
  return {
    key,
    // The date the email carried: a daily digest's own day; a weekly one went out on the day it was planned.
    day: key.kind === "daily" ? key.firstDay : localTime(sentAt, subscriber.timezone).day,
    sentAt,
    entries: picks.flatMap((pick) => {
      const paper = byId.get(pick.paperId);
      return paper ? [{ paper, reason: pick.reason, paperId: pick.paperId, score: pick.score ?? 0 }] : [];
    }),
  };
}
