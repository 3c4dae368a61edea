// `paperboy run` and the demo: the planner's digests for one day, processed
// inline — the same plan → batch → send path as tick and the workers, without
// pg-boss — and reported per subscriber.
import { describeError } from "../errors.ts";
import { parseDay } from "../days.ts";
import { CLAIM_LEASE_MS, queueDeliveries } from "../delivery/ledger.ts";
import { createRefusalGuard } from "../delivery/refusal-guard.ts";
import { findDue, toBatches } from "./plan.ts";
import { processBatch, type CandidateCache, type SubscriberOutcome } from "./worker.ts";
import { runOwner } from "./run-owner.ts";
import type { RunDeps } from "./run-deps.ts";

export type { SubscriberOutcome };

export type RunOptions = {
  /** YYYY-MM-DD: the local day whose digests are sent, for every subscriber whatever their zone and send hour. */
  date: string;
  /** Plan and match only: no email, no ledger rows, no run row. */
  dryRun?: boolean;
  kind?: string;
  /** Restrict the run to these addresses (the demo). */
  onlyEmails?: string[];
  /** Called after each page with the number of subscribers handled so far. */
  onProgress?: (done: number) => void;
  /** Keep at most this many per-subscriber outcomes in the report (counts stay complete), so that memory does not grow with the list. */
  maxOutcomes?: number;
};

export type RunReport = {
  runId?: number;
  date: string;
  dryRun: boolean;
  /** One per digest key planned (daily and weekday subscribers share `daily:<date>`, weekly ones get `weekly:<ISO week>`): the listing days its papers came from. */
  digests: Array<{ key: string; since: string; until: string; candidatePapers: number; distinctTopics: number }>;
  /** alreadySent / alreadySkipped: digests closed in the ledger before this run (skips stay closed until new papers arrive). */
  counts: { due: number; sent: number; skipped: number; failed: number; planned: number; deferred: number; alreadySent: number; alreadySkipped: number; suppressed: number };
  outcomes: SubscriberOutcome[];
  /** Outcomes left out of `outcomes` by `maxOutcomes`. */
  outcomesOmitted: number;
  mailer: string;
  durationMs: number;
  /** Set when the run stopped early because the relay refused recipient after recipient. */
  alert?: string;
  /** Set when embeddings are configured but were not used: "embeddings unavailable (…): lexical ranking used". */
  embeddings?: string;
};

/**
 * Sends the digests the planner finds due on `date` (each subscriber's cadence
 * decides their key and window; weekday subscribers have none on a weekend).
 * Safe to run again: digests closed in the ledger are not planned again. Send
 * failures are recorded per subscriber and never abort the run.
 */
export async function runDigest(deps: RunDeps, options: RunOptions): Promise<RunReport> {
  const { db } = deps;
  const started = deps.now();
  const date = parseDay(options.date);
  const dryRun = options.dryRun ?? false;
  const run = dryRun ? undefined : await db.run.create({ data: { kind: options.kind ?? "manual", digestDate: date, startedAt: started, ...runOwner() } });
  const report: RunReport = {
    runId: run?.id,
    date,
    dryRun,
    digests: [],
    counts: { due: 0, sent: 0, skipped: 0, failed: 0, planned: 0, deferred: 0, alreadySent: 0, alreadySkipped: 0, suppressed: 0 },
    outcomes: [],
    outcomesOmitted: 0,
    mailer: deps.mailer.description,
    durationMs: 0,
  };
  // One guard and one candidate set per key for the whole run, so a streak of refusals is seen across batches.
  const batchDeps = { ...deps, refusals: createRefusalGuard() };
  const cache: CandidateCache = new Map();
  try {
    pages: for await (const page of findDue(db, { now: started, day: date, onlyEmails: options.onlyEmails })) {
      report.counts.alreadySent += page.closed.sent;
      report.counts.alreadySkipped += page.closed.skipped;
      for (const planned of toBatches(page.due, run?.id)) {
        // As a tick does: the ledger decides who is queued (a tick's worker may hold some of them already).
        // Sent at once, so queued no longer than a claim: rows a killed run queued are taken over when its claims are.
        const ids = dryRun ? planned.ids : await queueDeliveries(db, planned, started, CLAIM_LEASE_MS);
        if (ids.length === 0) continue;
        const result = await processBatch(batchDeps, { ...planned, ids }, cache, { dryRun });
        addBatch(report, planned.digestKey, result, options.maxOutcomes ?? Infinity);
        options.onProgress?.(report.counts.due);
        if (result.relayRefused) {
          // The remaining batches are not even queued: they have no ledger rows and are planned again next run.
          report.alert = `Run stopped: ${result.relayRefused}. Fix the relay: the next run sends to everyone not sent yet (the refused ones once their retry is due, in about 5 minutes).`;
          break pages;
        }
      }
    }
  } catch (error) {
    // What was sent is in the ledger; record how far the run got, then let the caller see the failure.
    await finishRun(deps, run?.id, report, started, describeError(error)).catch(() => {});
    throw error;
  }
  await finishRun(deps, run?.id, report, started);
  return report;
}

function addBatch(report: RunReport, key: string, result: Awaited<ReturnType<typeof processBatch>>, maxOutcomes: number): void {
  const { candidates } = result;
  const digest = report.digests.find((entry) => entry.key === key);
  if (digest) digest.distinctTopics = candidates.compiled.size;
  else report.digests.push({ key, since: candidates.since, until: candidates.date, candidatePapers: candidates.papers.size, distinctTopics: candidates.compiled.size });
  report.counts.suppressed += result.suppressed;
  report.embeddings ??= result.embeddings;
  for (const outcome of result.outcomes) {
    report.counts.due++;
    report.counts[outcome.status]++;
    if (report.outcomes.length < maxOutcomes) report.outcomes.push(outcome);
    else report.outcomesOmitted++;
  }
}

async function finishRun(deps: RunDeps, runId: number | undefined, report: RunReport, started: Date, error?: string): Promise<void> {
  report.durationMs = deps.now().getTime() - started.getTime();
  if (runId === undefined) return;
  const { outcomes: _, ...summary } = report;
  await deps.db.run.update({ where: { id: runId }, data: { finishedAt: deps.now(), report: error ? { ...summary, error } : summary } });
}
