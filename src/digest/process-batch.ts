// A worker's unit of work: one batch of subscribers due for the same digest key.
import { createHash } from "node:crypto";
import { loadActiveSubscribers } from "../subscriptions/subscriptions.ts";
import type { Db } from "../db/client.ts";
import { releaseQueued } from "../delivery/ledger.ts";
import type { Candidates } from "../matching/candidates.ts";
import { describeDenseFallback } from "../matching/fuse-dense.ts";
import { loadCandidates } from "../sources/candidates.ts";
import { newestPaperId } from "../sources/store.ts";
import { batchWindow, parseDigestKey } from "../digest-key.ts";
import { deliverPage, type DeliveryOptions, type SubscriberOutcome } from "./deliver-page.ts";
import type { DigestBatch } from "./plan.ts";
import type { RunDeps } from "./run-deps.ts";

/** embeddings: set when they are configured but were not used ("embeddings unavailable (…): lexical ranking used"). */
export type BatchResult = Record<SubscriberOutcome["status"] | "suppressed", number> & { possibleDuplicates: number; embeddings?: string };

/** What `paperboy run` reports besides the counts: each subscriber's outcome, the candidate set, and why sending stopped (the relay refused everyone). */
export type BatchDetail = { outcomes: SubscriberOutcome[]; candidates: Candidates; relayRefused?: string };

const CANDIDATES_TTL_MS = 5 * 60 * 1000;

/** Candidate papers per digest key, shared by the batches a worker processes (reloaded after 5 minutes, or at once when papers arrived). */
export type CandidateCache = Map<string, { candidates: Candidates; loadedAt: number }>;

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
  const now = deps.now().getTime();
  const cacheKey = `${batch.digestKey}|${batch.day}`;
  let cached = cache.get(cacheKey);
  if (!cached || now - cached.loadedAt > CANDIDATES_TTL_MS || (await hasNewerPapers(deps.db, cached.candidates))) {
    const window = batchWindow(parseDigestKey(batch.digestKey).kind, batch.day, deps.lookbackDays);
    cached = { candidates: await loadCandidates(deps.db, window, [], deps.embedder), loadedAt: now };
    cache.set(cacheKey, cached);
  }
  const { outcomes, suppressed, relayRefused } = await deliverPage(deps, subscribers, { candidates: cached.candidates, digestKey: batch.digestKey, runId: batch.runId, dryRun: options.dryRun });
  const result: BatchResult & BatchDetail = { sent: 0, skipped: 0, failed: 0, planned: 0, deferred: 0, suppressed, possibleDuplicates: 0, outcomes, candidates: cached.candidates, relayRefused };
  for (const outcome of outcomes) {
    result[outcome.status]++;
    if (outcome.possibleDuplicate) result.possibleDuplicates++;
  }
  const fallback = describeDenseFallback(cached.candidates);
  if (fallback) result.embeddings = fallback;
  return result;
}

/** The counts of a batch's result, as a worker logs and pg-boss stores them. */
export function batchCounts({ outcomes: _o, candidates: _c, relayRefused: _r, ...counts }: BatchResult & BatchDetail): BatchResult {
  return counts;
}

/** Papers ingested since the candidates were loaded: a skip from stale candidates would be reopened at once. */
async function hasNewerPapers(db: Db, candidates: Candidates): Promise<boolean> {
  return (await newestPaperId(db)) > candidates.newestPaperId;
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
