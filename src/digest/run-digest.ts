// One digest run for one date: match every due subscriber's topics against the
// date's papers, send each digest under the ledger, and report what happened.
import { describeError } from "../errors.ts";
import { loadCandidates } from "./candidates.ts";
import { describeDenseFallback } from "./dense-matching.ts";
import { parseDay } from "../days.ts";
import { digestKeyFor } from "./digest-key.ts";
import { runOwner } from "./run-owner.ts";
import { batchWindow } from "./window.ts";
import { createRefusalGuard } from "../delivery/refusal-guard.ts";
import { deliverPage, type DeliveryOptions, type SubscriberOutcome } from "./deliver-page.ts";
import { findActiveTopics, findDueSubscribers } from "./plan.ts";
import type { RunDeps } from "./run-deps.ts";

export type { SubscriberOutcome };

export type RunOptions = {
  /** YYYY-MM-DD */
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
  digestKey: string;
  dryRun: boolean;
  since: string;
  candidatePapers: number;
  distinctTopics: number;
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
 * Runs the digest for `date`. Safe to run again: subscribers whose digest is in
 * the ledger are not planned again. Send failures are recorded per subscriber and
 * never abort the run.
 */
export async function runDigest(deps: RunDeps, options: RunOptions): Promise<RunReport> {
  const { db, log } = deps;
  const started = deps.now();
  const date = parseDay(options.date);
  const digestKey = digestKeyFor("daily", date);
  const dryRun = options.dryRun ?? false;

  const topics = await findActiveTopics(db);
  // Each subscriber's own window (their cadence, their previous digest) is cut from the widest.
  const candidates = await loadCandidates(db, batchWindow("weekly", date, deps.lookbackDays), topics, deps.embedder);
  const only = options.onlyEmails ? { subscriber: { email: { in: options.onlyEmails } } } : {};
  const alreadySent = await db.delivery.count({ where: { digestKey, status: "sent", ...only } });
  // A skip that papers ingested since have reopened is planned again below, so it is not counted here.
  const alreadySkipped = await db.delivery.count({ where: { digestKey, status: "skipped", OR: [{ papersUpTo: null }, { papersUpTo: { gte: candidates.newestPaperId } }], ...only } });
  const run = dryRun ? undefined : await db.run.create({ data: { kind: options.kind ?? "manual", digestDate: date, startedAt: started, ...runOwner() } });
  log.debug(`Digest ${digestKey}: ${candidates.papers.size} papers featured ${candidates.since}..${date}, ${candidates.compiled.size} distinct topics`);

  const report: RunReport = {
    runId: run?.id,
    date,
    digestKey,
    dryRun,
    since: candidates.since,
    candidatePapers: candidates.papers.size,
    distinctTopics: candidates.compiled.size,
    counts: { due: 0, sent: 0, skipped: 0, failed: 0, planned: 0, deferred: 0, alreadySent, alreadySkipped, suppressed: 0 },
    outcomes: [],
    outcomesOmitted: 0,
    mailer: deps.mailer.description,
    durationMs: 0,
  };

  // One guard for the whole run, so a streak of refusals is seen across pages.
  const refusals = createRefusalGuard();
  try {
    for await (const page of findDueSubscribers(db, { digestKey, day: date, now: started, onlyEmails: options.onlyEmails })) {
      const { outcomes, suppressed, relayRefused } = await deliverPage({ ...deps, refusals }, page, { candidates, digestKey, runId: run?.id, dryRun });
      report.counts.suppressed += suppressed;
      for (const outcome of outcomes) {
        report.counts.due++;
        report.counts[outcome.status]++;
        if (report.outcomes.length < (options.maxOutcomes ?? Infinity)) report.outcomes.push(outcome);
        else report.outcomesOmitted++;
      }
      options.onProgress?.(report.counts.due);
      if (relayRefused) {
        // The remaining pages are not even loaded: they have no ledger rows and are planned again next run.
        report.alert = `Run stopped: ${relayRefused}. Fix the relay: the next run sends to everyone not sent yet (the refused ones once their retry is due, in about 5 minutes).`;
        break;
      }
    }
  } catch (error) {
    report.embeddings = describeDenseFallback(candidates);
    // What was sent is in the ledger; record how far the run got, then let the caller see the failure.
    await finishRun(deps, run?.id, report, started, describeError(error)).catch(() => {});
    throw error;
  }
  // Set after the pages: a topic embedded for a page may be where the server failed.
  report.embeddings = describeDenseFallback(candidates);
  await finishRun(deps, run?.id, report, started);
  return report;
}

async function finishRun(deps: RunDeps, runId: number | undefined, report: RunReport, started: Date, error?: string): Promise<void> {
  report.durationMs = deps.now().getTime() - started.getTime();
  if (runId === undefined) return;
  const { outcomes: _, ...summary } = report;
  await deps.db.run.update({ where: { id: runId }, data: { finishedAt: deps.now(), report: error ? { ...summary, error } : summary } });
}
