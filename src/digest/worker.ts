// A worker's unit of work: one batch of subscribers due for the same digest key.
// Each subscriber's papers are picked, the digest composed and sent under the
// ledger, with a bounded number of sends in flight and a circuit breaker.
import { createHash } from "node:crypto";
import type { Db } from "../db/client.ts";
import type { CircuitBreaker } from "../delivery/circuit-breaker.ts";
import { previousDigestDays, recordSkips, releaseQueued, sentPaperIds } from "../delivery/ledger.ts";
import { createLedgerWriter, type LedgerBatch } from "../delivery/ledger-writer.ts";
import type { OutgoingMessage } from "../delivery/mailer.ts";
import { createRefusalGuard, type RefusalGuard } from "../delivery/refusal-guard.ts";
import { claimLetters, inLanes, sendClaimed, type ClaimedChunk, type Letter, type LoopDeps } from "../delivery/send-page.ts";
import { describePicks, explainEmpty, pickPapers, type Candidates, type PickReport } from "../matching/candidates.ts";
import { describeDenseFallback } from "../matching/fuse-dense.ts";
import type { Profile } from "../matching/profile.ts";
import { isPersonal, topicWords, type TopicSpec } from "../matching/topics.ts";
import { composeDigest } from "../rendering/compose-digest.ts";
import type { DigestEntry } from "../rendering/render-digest.ts";
import { cachedCandidates, prepareTopics, type CandidateCache } from "../sources/candidates.ts";
import { embedTopics } from "../sources/dense-vectors.ts";
import { loadProfiles } from "../subscriptions/feedback.ts";
import { digestLinks } from "../subscriptions/links.ts";
import { loadActiveSubscribers, type SubscriberWithTopics } from "../subscriptions/store.ts";
import { suppressAddress, suppressedAmong, undoStreakBounces } from "../subscriptions/suppress.ts";
import { batchWindow, digestWindow, parseDigestKey } from "../digest-key.ts";
import type { DigestBatch } from "./plan.ts";
import type { RunDeps } from "./run-deps.ts";

export type SubscriberOutcome = {
  subscriberId: number;
  email: string;
  /** deferred: not attempted because the circuit breaker was open or the relay refused everyone; planned: dry run. */
  status: "sent" | "skipped" | "failed" | "planned" | "deferred";
  picks: PickReport[];
  /** Why nothing was sent, or what failed. */
  reason?: string;
  messageId?: string;
  possibleDuplicate?: boolean;
};

export type DeliveryOptions = {
  /** Sends in flight at once (default 1). */
  concurrency?: number;
  breaker?: CircuitBreaker;
  /** Shared by a run's batches; each batch gets its own when absent. */
  refusals?: RefusalGuard;
  /** How outcomes are committed (default LEDGER_BATCH: every 20 messages or 250 ms). */
  ledgerBatch?: LedgerBatch;
};

/** Letters claimed per ledger statement; the next chunk is picked and claimed while this one is sent. */
export const CLAIM_ROWS = 25;

export type { CandidateCache };

/** embeddings: set when they are configured but were not used ("embeddings unavailable (…): lexical ranking used"). */
export type BatchResult = Record<SubscriberOutcome["status"] | "suppressed", number> & { possibleDuplicates: number; embeddings?: string };

/** What `paperboy run` reports besides the counts: each subscriber's outcome, the candidate set, and why sending stopped (the relay refused everyone). */
export type BatchDetail = { outcomes: SubscriberOutcome[]; candidates: Candidates; relayRefused?: string };

/**
 * Sends the batch's digests: re-reads the subscribers (only those still active),
 * loads (or reuses) the day's candidate papers and delivers under the ledger.
 * Safe to run twice or concurrently: the ledger claim decides who sends. With
 * `dryRun` it plans and picks only, writing nothing.
 */
export async function processBatch(deps: RunDeps & DeliveryOptions, batch: DigestBatch, cache: CandidateCache = new Map(), options: { dryRun?: boolean } = {}): Promise<BatchResult & BatchDetail> {
  const subscribers = await loadActiveSubscribers(deps.db, batch.ids);
  const active = new Set(subscribers.map((subscriber) => subscriber.id));
  if (!options.dryRun) await releaseQueued(deps.db, { digestKey: batch.digestKey, ids: batch.ids.filter((id) => !active.has(id)) }, deps.now(), "subscriber is no longer active");
  const window = batchWindow(parseDigestKey(batch.digestKey).kind, batch.day, deps.lookbackDays);
  const candidates = await cachedCandidates(deps.db, cache, window, deps.now(), deps.embedder);
  const { outcomes, suppressed, relayRefused } = await deliverPage(deps, subscribers, { candidates, digestKey: batch.digestKey, runId: batch.runId, dryRun: options.dryRun });
  const result: BatchResult & BatchDetail = { sent: 0, skipped: 0, failed: 0, planned: 0, deferred: 0, suppressed, possibleDuplicates: 0, outcomes, candidates, relayRefused };
  for (const outcome of outcomes) {
    result[outcome.status]++;
    if (outcome.possibleDuplicate) result.possibleDuplicates++;
  }
  const fallback = describeDenseFallback(candidates);
  if (fallback) result.embeddings = fallback;
  return result;
}

/** The counts of a batch's result, as a worker logs and pg-boss stores them. */
export function batchCounts({ outcomes: _o, candidates: _c, relayRefused: _r, ...counts }: BatchResult & BatchDetail): BatchResult {
  return counts;
}

/**
 * One job id per (tick, batch): the same batch enqueued twice by one tick is one
 * job, and a later tick's batch — deferred or retry-due subscribers queued again
 * in the ledger — is a new job, never refused as one pg-boss already completed.
 */
export function batchJobId(batch: DigestBatch): string {
  const hex = createHash("sha256")
    .update(`${batch.digestKey}:${batch.runId ?? ""}:${batch.ids.join(",")}`)
    .digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

type PageJob = { candidates: Candidates; digestKey: string; runId?: number; dryRun?: boolean };

/**
 * Delivers to every subscriber of the page; suppressed addresses are left out
 * (counted in `suppressed`). The page goes CLAIM_ROWS subscribers at a time:
 * picked, their skips recorded and their letters claimed in one statement each,
 * the next chunk prepared while the lanes send this one; outcomes are committed
 * in batches. Send failures are recorded per subscriber and never thrown;
 * database errors are. When the relay refuses recipient after recipient, the
 * rest of the page is deferred (never sent) and `relayRefused` says why.
 */
async function deliverPage(options: RunDeps & DeliveryOptions, page: SubscriberWithTopics[], job: PageJob): Promise<{ outcomes: SubscriberOutcome[]; suppressed: number; relayRefused?: string }> {
  const suppressBounced = (address: string, reason: string) => suppressAddress(options.db, address, "bounced", reason);
  const deps = { ...options, refusals: options.refusals ?? createRefusalGuard(), suppressBounced };
  const stoppedBefore = deps.refusals.stopReason();
  const { suppressed, sent, profiles, previous } = await loadPageState(deps.db, page, job.candidates, job.digestKey);
  // Picking is synchronous: what the page's topics need is loaded, and they are embedded, first (once per candidate set).
  const topics = page.flatMap((subscriber) => subscriber.topics);
  await prepareTopics(deps.db, job.candidates, topics);
  await embedTopics(job.candidates, topics);
  const queue = page.filter((subscriber) => !suppressed.has(subscriber.id));
  if (!job.dryRun) await releaseQueued(deps.db, { digestKey: job.digestKey, ids: [...suppressed] }, deps.now(), "the address is suppressed");
  const pickState = (subscriber: SubscriberWithTopics): PickState => ({
    sentPaperIds: sent.get(subscriber.id) ?? new Set(),
    profile: profiles.get(subscriber.id),
    since: digestWindow({ cadence: subscriber.cadence, day: job.candidates.date, overlapDays: deps.lookbackDays, previousDay: previous.get(subscriber.id) }).since,
  });
  const chunks: Array<Promise<PreparedChunk>> = [];
  const chunk = (k: number) => (chunks[k] ??= prepareChunk(deps, queue.slice(k * CLAIM_ROWS, (k + 1) * CLAIM_ROWS), job, pickState));
  const writer = createLedgerWriter(deps.db, deps.ledgerBatch);
  let outcomes: SubscriberOutcome[];
  try {
    outcomes = await inLanes(queue.length, deps.concurrency ?? 1, async (index) => {
      const k = Math.floor(index / CLAIM_ROWS);
      // Halfway through a chunk the next one is prepared (its failure surfaces when it is awaited).
      if (index % CLAIM_ROWS === CLAIM_ROWS >> 1) chunk(k + 1).catch(() => {});
      const prepared = await chunk(k);
      const outcome = prepared.outcomes[index % CLAIM_ROWS]!;
      const claimed = prepared.claimed;
      const letter = outcome.letter;
      if (!letter || !claimed) return outcome.report;
      return { ...outcome.report, ...(await sendClaimed(deps, writer, claimed, letter)) };
    });
  } finally {
    await writer.close();
  }
  // Deferred (the relay is failing): hand them back to the planner, so the next tick queues them again.
  const deferred = outcomes.filter((outcome) => outcome.status === "deferred").map((outcome) => outcome.subscriberId);
  if (!job.dryRun) await releaseQueued(deps.db, { digestKey: job.digestKey, ids: deferred }, deps.now());
  const relayRefused = deps.refusals.stopReason();
  if (relayRefused && !stoppedBefore) {
    if (!job.dryRun) await undoStreakBounces(deps.db, deps.refusals.streakBounces(), job.digestKey, deps.now());
    deps.log.error(`Sending stopped: ${relayRefused}. The rest is planned again on the next run.`);
  }
  return { outcomes, suppressed: suppressed.size, relayRefused };
}

/** What picking knows of one subscriber: papers already sent, feedback, and where their window starts. */
type PickState = { sentPaperIds: ReadonlySet<number>; profile: Profile | undefined; since: string };

/** A chunk's subscribers, each with their report so far and their letter when there is something to send; the letters claimed. */
type PreparedChunk = { outcomes: Array<{ report: SubscriberOutcome; letter?: Letter }>; claimed?: ClaimedChunk };

/** Picks the chunk's papers, records its skips (nothing to send) and claims its letters — one statement each, at once. A dry run writes nothing. */
async function prepareChunk(
  deps: RunDeps & DeliveryOptions & LoopDeps,
  subscribers: SubscriberWithTopics[],
  job: PageJob,
  stateOf: (subscriber: SubscriberWithTopics) => PickState,
): Promise<PreparedChunk> {
  const { candidates } = job;
  const outcomes = subscribers.map((subscriber) => {
    const state = stateOf(subscriber);
    const picks = pickPapers(candidates, subscriber, state.sentPaperIds, state.profile, state.since);
    const report: SubscriberOutcome = { subscriberId: subscriber.id, email: subscriber.email, status: "planned", picks: describePicks(picks) };
    if (picks.length === 0) return { report: { ...report, status: "skipped" as const, reason: explainEmpty(candidates, subscriber, state.since) } };
    const letter: Letter = {
      subscriberId: subscriber.id,
      email: subscriber.email,
      digestKey: job.digestKey,
      runId: job.runId,
      picks,
      message: () => composeFor(deps, subscriber, { key: job.digestKey, date: candidates.date, entries: picks }),
    };
    return { report, letter };
  });
  if (job.dryRun) return { outcomes };
  const skips = outcomes.filter(({ report }) => report.status === "skipped").map(({ report }) => ({ subscriberId: report.subscriberId, reason: report.reason ?? "" }));
  const letters = outcomes.flatMap(({ letter }) => (letter ? [letter] : []));
  // Provisional skips: papers ingested after these reopen the digest (see recordSkips).
  const [, claimed] = await Promise.all([recordSkips(deps.db, { digestKey: job.digestKey, runId: job.runId, papersUpTo: candidates.newestPaperId }, skips, deps.now()), claimLetters(deps, letters)]);
  return { outcomes, claimed };
}

/** The message of digest `key` to the subscriber: their topics, their signed links, and `entries` in order. The worker sends it; previews show it. */
export function composeFor(
  deps: Pick<RunDeps, "templates" | "mail" | "now">,
  subscriber: { id: number; email: string; tokenVersion: number; textOnly: boolean; topics: TopicSpec[] },
  digest: { key: string; date: string; entries: DigestEntry[] },
): OutgoingMessage {
  return composeDigest(deps.templates, deps.mail, subscriber, {
    ...digest,
    topics: topicWords(subscriber.topics),
    personal: isPersonal(subscriber.topics),
    links: digestLinks(deps.mail, subscriber, digest.key, deps.now()),
  });
}

/**
 * What picking needs besides the subscribers: suppressed addresses, papers already
 * sent, feedback profiles, and the local day of each one's previous digest
 * (other than `digestKey`) — four queries, in parallel.
 */
export async function loadPageState(db: Db, page: SubscriberWithTopics[], candidates: Candidates, digestKey: string) {
  const ids = page.map((subscriber) => subscriber.id);
  const [suppressed, sent, profiles, previous] = await Promise.all([
    suppressedAmong(db, page),
    sentPaperIds(db, ids, [...candidates.papers.keys()]),
    loadProfiles(db, ids),
    previousDigestDays(db, page, digestKey),
  ]);
  return { suppressed, sent, profiles, previous };
}
