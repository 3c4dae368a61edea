// Digests shown, not sent: a subscriber's next digest (`paperboy preview`, the
// manage page) with exactly the window and picking the worker will use, rendered
// but not sent or recorded; a digest already sent, as it was sent ("view in
// browser", the Atom feed, `paperboy preview` of a date already sent).
import type { Db } from "../db/client.ts";
import { closedDigestKeys, previousDigestDays, sentDeliveries, sentPaperIds, type SentDelivery } from "../delivery/ledger.ts";
import type { OutgoingMessage } from "../delivery/mailer.ts";
import { AppError } from "../errors.ts";
import { describePicks, explainEmpty, pickPapers, type Candidates, type PickReport } from "../matching/candidates.ts";
import type { Profile } from "../matching/profile.ts";
import type { TopicSpec } from "../matching/topics.ts";
import { paperUrl } from "../rendering/paper-url.ts";
import type { DigestEntry } from "../rendering/render-digest.ts";
import { cachedCandidates, loadCandidates, prepareTopics, type CandidateCache } from "../sources/candidates.ts";
import { newestListingDay, papersById } from "../sources/store.ts";
import { loadProfiles } from "../subscriptions/feedback.ts";
import { findSubscriber, normaliseEmail, type SubscriberWithTopics } from "../subscriptions/store.ts";
import { localTime, parseDay, toDay } from "../days.ts";
import { batchWindow, digestKeyFor, digestWindow, parseDigestKey, upcomingDigestDays, type Cadence, type DigestKey, type DigestWindow, type Schedule } from "../digest-key.ts";
import type { RunDeps } from "./run-deps.ts";
import { composeFor } from "./worker.ts";

export type NextDigest = { key: string; day: string; window: DigestWindow };

/**
 * The subscriber's next digest from `now`: the first upcoming digest key (see
 * upcomingDigestDays) that the ledger has not closed, its local day, and the
 * window of listing days it will take papers from. Read-only.
 */
export async function planNextDigest(deps: Pick<RunDeps, "db" | "lookbackDays">, subscriber: Schedule & { id?: number; timezone: string }, now: Date): Promise<NextDigest> {
  const upcoming = upcomingDigestDays(subscriber, now, 8);
  const keys = upcoming.map((entry) => entry.key);
  const closed = subscriber.id === undefined ? new Set<string>() : await closedDigestKeys(deps.db, subscriber.id, keys, now);
  const next = upcoming.find((entry) => !closed.has(entry.key)) ?? upcoming.at(-1)!;
  return { ...next, window: await windowOf(deps, subscriber, next) };
}

/** The window of the subscriber's digest `key` for local `day`, as the worker computes it. */
async function windowOf(deps: Pick<RunDeps, "db" | "lookbackDays">, subscriber: Schedule & { id?: number }, digest: { key: string; day: string }): Promise<DigestWindow> {
  const previousDay = subscriber.id === undefined ? undefined : (await previousDigestDays(deps.db, [{ id: subscriber.id, timezone: subscriber.timezone }], digest.key)).get(subscriber.id);
  return digestWindow({ cadence: subscriber.cadence, day: digest.day, overlapDays: deps.lookbackDays, previousDay });
}

export type Preview = {
  email: string;
  date: string;
  digestKey: string;
  /** Listing days the papers come from (not known for a digest already sent). */
  window?: DigestWindow;
  /** Set when this digest was already sent: the picks and message are what was sent. */
  sentAt?: string;
  picks: PickReport[];
  message?: OutgoingMessage;
  /** Why there is no message: no papers in the window, or none matched (or all were sent). */
  reason?: string;
};

/**
 * The subscriber's digest for local `date` (default: their next digest), as it
 * would be sent now, or as it was sent if it was. Read-only. Throws
 * INVALID_EMAIL, INVALID_DATE, or NOT_FOUND for an unknown subscriber.
 */
export async function previewDigest(deps: RunDeps, options: { email: string; date?: string }): Promise<Preview> {
  const email = normaliseEmail(options.email);
  const subscriber = await findSubscriber(deps.db, { email });
  if (!subscriber) throw new AppError("NOT_FOUND", `no subscriber with address ${email}`, { field: "email" });
  const schedule = scheduleOf(subscriber);
  const next = options.date === undefined ? await planNextDigest(deps, schedule, deps.now()) : undefined;
  const date = next?.day ?? parseDay(options.date!);
  const digestKey = next?.key ?? digestKeyFor(schedule.cadence, date);

  const sent = await loadSentDigest(deps.db, subscriber, digestKey);
  if (sent) return showSent(deps, subscriber, sent);

  const window = next?.window ?? (await windowOf(deps, { ...schedule, id: subscriber.id }, { key: digestKey, day: date }));
  // The candidates the worker loads for this digest (its batch's window), cut to the subscriber's window when picking: the same papers, scored the same.
  const candidates = await loadCandidates(deps.db, batchWindow(parseDigestKey(digestKey).kind, date, deps.lookbackDays), subscriber.topics, deps.embedder);
  const picks = await pickFor(deps, candidates, subscriber, window);
  const preview = { email, date, digestKey, window, picks: describePicks(picks) };
  if (picks.length === 0) return { ...preview, reason: explainEmpty(candidates, subscriber, window.since) };
  return { ...preview, message: composeFor(deps, subscriber, { key: digestKey, date, entries: picks }) };
}

function showSent(deps: RunDeps, subscriber: SubscriberWithTopics, sent: SentDigest): Preview {
  const message = composeFor(deps, subscriber, { key: sent.key.key, date: sent.day, entries: sent.entries });
  return {
    email: subscriber.email,
    date: sent.day,
    digestKey: sent.key.key,
    sentAt: sent.sentAt.toISOString(),
    picks: sent.entries.map(({ paper, paperId, reason, score }) => ({ paperId, reason, score, relevance: 0, arxivId: paper.arxivId, title: paper.title })),
    message,
  };
}

async function pickFor(deps: Pick<RunDeps, "db">, candidates: Candidates, subscriber: { id?: number; topics: TopicSpec[]; maxPapers: number; popularity?: string }, window: DigestWindow) {
  const { sent, profile } = await readerState(deps, candidates, subscriber.id);
  return pickPapers(candidates, subscriber, sent, profile, window.since);
}

/** What the subscriber was sent of the candidates, and what their feedback taught; both read at once. */
async function readerState(deps: Pick<RunDeps, "db">, candidates: Candidates, subscriberId: number | undefined): Promise<{ sent: ReadonlySet<number>; profile?: Profile }> {
  if (subscriberId === undefined) return { sent: new Set() };
  const [sent, profiles] = await Promise.all([sentPaperIds(deps.db, [subscriberId], [...candidates.papers.keys()]), loadProfiles(deps.db, [subscriberId])]);
  return { sent: sent.get(subscriberId) ?? new Set(), profile: profiles.get(subscriberId) };
}

/** The schedule of a stored subscriber or of preferences on a form (pause as a day). */
export function scheduleOf(subscriber: { cadence: Cadence; timezone: string; pausedUntil: Date | string | null }): Schedule {
  const paused = subscriber.pausedUntil;
  return { cadence: subscriber.cadence, timezone: subscriber.timezone, pausedUntil: paused instanceof Date ? toDay(paused) : paused };
}

export type TopicsPreview = {
  picks: Array<PickReport & { url: string }>;
  summary: string;
  /** The next digest's key and local day, and the listing days shown. */
  digestKey?: string;
  date?: string;
  since?: string;
  until?: string;
};

/** Papers per window of each candidate set, counted once (every preview states it). */
const papersCounted = new WeakMap<Candidates, Map<string, number>>();

function papersIn(candidates: Candidates, window: DigestWindow): number {
  let counts = papersCounted.get(candidates);
  if (!counts) papersCounted.set(candidates, (counts = new Map()));
  const key = `${window.since}|${window.until}`;
  let count = counts.get(key);
  if (count === undefined) {
    count = 0;
    for (const paper of candidates.papers.values()) if (paper.featuredOn >= window.since && paper.featuredOn <= window.until) count++;
    counts.set(key, count);
  }
  return count;
}

/** Days shown instead when the next digest's window has no papers yet. */
const LATEST_DAYS = 3;

/**
 * What the subscriber's next digest would contain with these topics and this
 * schedule (the form on screen, not yet saved): the same window the digest will
 * use, minus papers already sent. When no paper has arrived in that window yet,
 * the latest papers in the database are shown instead, and the summary says so. Read-only.
 */
const previewCaches = new WeakMap<Db, CandidateCache>();

/** The candidate sets the previews of one database share. */
function previewCache(db: Db): CandidateCache {
  let cache = previewCaches.get(db);
  if (!cache) previewCaches.set(db, (cache = new Map()));
  return cache;
}

export async function previewTopics(
  deps: Pick<RunDeps, "db" | "lookbackDays" | "now">,
  options: { subscriberId?: number; topics: TopicSpec[]; maxPapers: number; popularity?: string; schedule: Schedule },
): Promise<TopicsPreview> {
  const next = await planNextDigest(deps, { ...options.schedule, id: options.subscriberId }, deps.now());
  let window = next.window;
  // As the worker loads them (its batch's window), cut to this window when picking: the papers and scores the digest will have.
  // Loaded once per window and process, and shared by every preview (a reader typing asks several times a second).
  const cache = previewCache(deps.db);
  let candidates = await cachedCandidates(deps.db, cache, batchWindow(parseDigestKey(next.key).kind, next.day, deps.lookbackDays), deps.now());
  let standIn = false;
  if (papersIn(candidates, window) === 0) {
    const until = await newestListingDay(deps.db);
    if (!until) return { picks: [], summary: "No papers have been ingested yet.", digestKey: next.key, date: next.day };
    window = digestWindow({ cadence: "daily", day: until, overlapDays: LATEST_DAYS });
    candidates = await cachedCandidates(deps.db, cache, window, deps.now());
    standIn = true;
  }
  // Read while the topics are prepared: what was sent and learned does not depend on them.
  const reader = readerState(deps, candidates, options.subscriberId);
  reader.catch(() => undefined); // awaited below; not an unhandled rejection if preparing fails first
  // Topics being typed (every prefix a new one): their associations are worked out, not stored.
  await prepareTopics(deps.db, candidates, options.topics, { storeAssociations: false });
  const { sent, profile } = await reader;
  const picks = pickPapers(candidates, { topics: options.topics, maxPapers: options.maxPapers, popularity: options.popularity }, sent, profile, window.since);
  const included = options.topics.filter((topic) => topic.kind !== "exclude").length;
  const from = `papers listed ${window.since} to ${window.until}`;
  const scope = standIn
    ? `No papers have arrived yet for your next digest (${next.day}, ${next.window.since} to ${next.window.until}); from the latest ${from}: `
    : `Your next digest (${next.day}), from ${from}: `;
  const summary =
    picks.length === 0
      ? `${scope}none of ${papersIn(candidates, window)} papers match these topics.`
      : `${scope}${picks.length} of ${papersIn(candidates, window)} papers${included === 0 ? " (the most upvoted, as you have no topics)" : ""}.`;
  return {
    picks: picks.map(({ paper, ...pick }) => ({ ...pick, arxivId: paper.arxivId, title: paper.title, url: paperUrl(paper) })),
    summary,
    digestKey: next.key,
    date: next.day,
    since: window.since,
    until: window.until,
  };
}

export type SentDigest = {
  key: DigestKey;
  /** The date the email showed: the digest's day (daily), the local day it went out (weekly). */
  day: string;
  sentAt: Date;
  entries: Array<DigestEntry & { paperId: number; score: number }>;
};

/**
 * The digest sent to the subscriber under `key`, its papers in the order sent
 * with the reasons they were picked; undefined when nothing was sent under it.
 * Throws INVALID_ARGUMENT for a malformed key. Read-only.
 */
export async function loadSentDigest(db: Db, subscriber: { id: number; timezone: string }, key: string): Promise<SentDigest | undefined> {
  const [sent] = await sentDeliveries(db, subscriber.id, { digestKey: parseDigestKey(key).key });
  return sent && (await withPapers(db, subscriber, [sent]))[0];
}

/** The last `count` digests sent to the subscriber, newest first. Read-only. */
export async function listSentDigests(db: Db, subscriber: { id: number; timezone: string }, count: number): Promise<SentDigest[]> {
  return withPapers(db, subscriber, await sentDeliveries(db, subscriber.id, { take: count }));
}

async function withPapers(db: Db, subscriber: { timezone: string }, sent: SentDelivery[]): Promise<SentDigest[]> {
  const papers = await papersById(
    db,
    sent.flatMap((delivery) => delivery.picks.map((pick) => pick.paperId)),
  );
  return sent.map((delivery) => {
    const key = parseDigestKey(delivery.digestKey);
    return {
      key,
      // The date the email carried: a daily digest's own day; a weekly one went out on the day it was planned.
      day: key.kind === "daily" ? key.firstDay : localTime(delivery.sentAt, subscriber.timezone).day,
      sentAt: delivery.sentAt,
      entries: delivery.picks.flatMap((pick) => {
        const paper = papers.get(pick.paperId);
        return paper ? [{ paper, reason: pick.reason, paperId: pick.paperId, score: pick.score }] : [];
      }),
    };
  });
}
