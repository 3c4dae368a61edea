// A worker's unit of work: one batch of subscribers due for the same digest key.
import { createHash } from "node:crypto";
import { loadActiveSubscribers } from "../subscriptions/subscriptions.ts";
import { loadCandidates, type Candidates } from "./candidates.ts";
import { deliverPage, type DeliveryOptions, type SubscriberOutcome } from "./deliver-page.ts";
import type { RunDeps } from "./run-digest.ts";

/** Subscribers (by id) due for one digest key; `day` is their local date. */
export type DigestBatch = { digestKey: string; day: string; ids: number[]; runId?: number };

export type BatchResult = Record<SubscriberOutcome["status"] | "suppressed", number> & { possibleDuplicates: number };

const CANDIDATES_TTL_MS = 5 * 60 * 1000;

/** Candidate papers per digest day, shared by the batches a worker processes (reloaded after 5 minutes). */
export type CandidateCache = Map<string, { candidates: Candidates; loadedAt: number }>;

/**
 * Sends the batch's digests: re-reads the subscribers (only those still active),
 * loads (or reuses) the day's candidate papers and delivers under the ledger.
 * Safe to run twice or concurrently: the ledger claim decides who sends.
 */
export async function processBatch(deps: RunDeps & DeliveryOptions, batch: DigestBatch, cache: CandidateCache = new Map()): Promise<BatchResult> {
  const subscribers = await loadActiveSubscribers(deps.db, batch.ids);
  const now = deps.now().getTime();
  let cached = cache.get(batch.day);
  if (!cached || now - cached.loadedAt > CANDIDATES_TTL_MS) {
    cached = { candidates: await loadCandidates(deps.db, batch.day, deps.lookbackDays, []), loadedAt: now };
    cache.set(batch.day, cached);
  }
  const { outcomes, suppressed } = await deliverPage(deps, subscribers, { candidates: cached.candidates, digestKey: batch.digestKey, runId: batch.runId });
  const result: BatchResult = { sent: 0, skipped: 0, failed: 0, planned: 0, deferred: 0, suppressed, possibleDuplicates: 0 };
  for (const outcome of outcomes) {
    result[outcome.status]++;
    if (outcome.possibleDuplicate) result.possibleDuplicates++;
  }
  return result;
}

/** The same batch always gets the same job id, so a second scheduler enqueues nothing new. */
export function batchJobId(batch: DigestBatch): string {
  const hex = createHash("sha256").update(`${batch.digestKey}:${batch.ids.join(",")}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
