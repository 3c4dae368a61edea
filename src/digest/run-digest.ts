// One digest run for one date: match every due subscriber's topics against the
// date's papers, send each digest under the ledger, and report what happened.
import type { Db } from "../db/client.ts";
import type { Mailer } from "../delivery/mailer.ts";
import { recordSkipped } from "../delivery/ledger.ts";
import { sendDigest } from "../delivery/send-digest.ts";
import { describeError } from "../errors.ts";
import type { Log } from "../log.ts";
import type { Templates } from "../rendering/templates.ts";
import { hashAddress } from "../subscriptions/subscriptions.ts";
import { describePicks, explainEmpty, loadCandidates, parseDay, pickPapers, type Candidates, type PickReport } from "./candidates.ts";
import { composeDigest, type MailSettings } from "./compose-digest.ts";
import { findActiveTopics, findDueSubscribers, type DueSubscriber } from "./plan.ts";

export type RunDeps = {
  db: Db;
  mailer: Mailer;
  templates: Templates;
  log: Log;
  now: () => Date;
  mail: MailSettings;
  lookbackDays: number;
};

export type RunOptions = {
  /** YYYY-MM-DD */
  date: string;
  /** Plan and match only: no email, no ledger rows, no run row. */
  dryRun?: boolean;
  kind?: string;
  /** Restrict the run to these addresses (the demo). */
  onlyEmails?: string[];
};

export type SubscriberOutcome = {
  subscriberId: number;
  email: string;
  status: "sent" | "skipped" | "failed" | "planned";
  picks: PickReport[];
  /** Why nothing was sent, or what failed. */
  reason?: string;
  messageId?: string;
  possibleDuplicate?: boolean;
};

export type RunReport = {
  runId?: number;
  date: string;
  digestKey: string;
  dryRun: boolean;
  since: string;
  candidatePapers: number;
  distinctTopics: number;
  counts: { due: number; sent: number; skipped: number; failed: number; planned: number; alreadyDone: number; suppressed: number };
  outcomes: SubscriberOutcome[];
  mailer: string;
  durationMs: number;
};

/** The ledger key of a daily digest. */
export function dailyDigestKey(date: string): string {
  return `daily:${date}`;
}

/**
 * Runs the digest for `date`. Safe to run again: subscribers whose digest is in
 * the ledger are not planned again. Send failures are recorded per subscriber and
 * never abort the run.
 */
export async function runDigest(deps: RunDeps, options: RunOptions): Promise<RunReport> {
  const { db, log } = deps;
  const started = deps.now();
  const date = parseDay(options.date);
  const digestKey = dailyDigestKey(date);
  const dryRun = options.dryRun ?? false;

  const topics = await findActiveTopics(db);
  const candidates = await loadCandidates(db, date, deps.lookbackDays, topics);
  const alreadyDone = await db.delivery.count({
    where: { digestKey, status: { in: ["sent", "skipped"] }, ...(options.onlyEmails ? { subscriber: { email: { in: options.onlyEmails } } } : {}) },
  });
  const run = dryRun ? undefined : await db.run.create({ data: { kind: options.kind ?? "manual", digestDate: date, startedAt: started } });
  log.debug(`Digest ${digestKey}: ${candidates.papers.size} papers featured ${candidates.since}..${date}, ${candidates.compiled.size} distinct topics`);

  const report: RunReport = {
    runId: run?.id,
    date,
    digestKey,
    dryRun,
    since: candidates.since,
    candidatePapers: candidates.papers.size,
    distinctTopics: candidates.compiled.size,
    counts: { due: 0, sent: 0, skipped: 0, failed: 0, planned: 0, alreadyDone, suppressed: 0 },
    outcomes: [],
    mailer: deps.mailer.description,
    durationMs: 0,
  };

  try {
    for await (const page of findDueSubscribers(db, { digestKey, day: new Date(`${date}T00:00:00Z`), now: started, onlyEmails: options.onlyEmails })) {
      const suppressed = await findSuppressed(db, page);
      const sent = await findSentPapers(db, page, candidates);
      for (const subscriber of page) {
        if (suppressed.has(subscriber.id)) {
          report.counts.suppressed++;
          continue;
        }
        report.counts.due++;
        const outcome = await processSubscriber(deps, { subscriber, candidates, digestKey, runId: run?.id, dryRun, sentPaperIds: sent.get(subscriber.id) ?? new Set() });
        report.counts[outcome.status]++;
        report.outcomes.push(outcome);
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

async function finishRun(deps: RunDeps, runId: number | undefined, report: RunReport, started: Date, error?: string): Promise<void> {
  report.durationMs = deps.now().getTime() - started.getTime();
  if (runId === undefined) return;
  const { outcomes: _, ...summary } = report;
  await deps.db.run.update({ where: { id: runId }, data: { finishedAt: deps.now(), report: error ? { ...summary, error } : summary } });
}

type SubscriberJob = {
  subscriber: DueSubscriber;
  candidates: Candidates;
  digestKey: string;
  runId?: number;
  dryRun: boolean;
  sentPaperIds: ReadonlySet<number>;
};

async function processSubscriber(deps: RunDeps, job: SubscriberJob): Promise<SubscriberOutcome> {
  const { subscriber, candidates } = job;
  const picks = pickPapers(candidates, subscriber, job.sentPaperIds);
  const outcome: SubscriberOutcome = {
    subscriberId: subscriber.id,
    email: subscriber.email,
    status: "planned",
    picks: describePicks(candidates, picks),
  };

  if (picks.length === 0) {
    outcome.status = "skipped";
    outcome.reason = explainEmpty(candidates, subscriber);
    if (!job.dryRun) await recordSkipped(deps.db, { subscriberId: subscriber.id, digestKey: job.digestKey, runId: job.runId }, outcome.reason, deps.now());
    return outcome;
  }
  if (job.dryRun) return outcome;

  const message = composeDigest(deps.templates, deps.mail, subscriber, { key: job.digestKey, date: candidates.date, picks, papers: candidates.papers }, deps.now());
  const delivered = await sendDigest(deps, {
    subscriberId: subscriber.id,
    digestKey: job.digestKey,
    runId: job.runId,
    message,
    picks,
  });
  if (delivered.status === "sent") {
    return { ...outcome, status: "sent", messageId: delivered.messageId, possibleDuplicate: delivered.possibleDuplicate };
  }
  if (delivered.status === "failed") {
    deps.log.warn(`Sending to ${subscriber.email} failed: ${delivered.error.message}`);
    const retry = delivered.retryAt ? `; retry after ${delivered.retryAt.toISOString()}` : "; not retried";
    return { ...outcome, status: "failed", reason: `${delivered.error.code}: ${delivered.error.message}${retry}` };
  }
  if (delivered.status === "skipped") return { ...outcome, status: "skipped", reason: delivered.reason };
  return { ...outcome, status: "skipped", reason: "another run is sending or has sent this digest" };
}

async function findSuppressed(db: Db, page: DueSubscriber[]): Promise<Set<number>> {
  const byHash = new Map(page.map((subscriber) => [hashAddress(subscriber.email), subscriber.id]));
  const rows = await db.suppression.findMany({ where: { addressHash: { in: [...byHash.keys()] } }, select: { addressHash: true } });
  return new Set(rows.map((row) => byHash.get(row.addressHash) ?? 0));
}

async function findSentPapers(db: Db, page: DueSubscriber[], candidates: Candidates): Promise<Map<number, Set<number>>> {
  const rows = await db.sentPaper.findMany({
    where: { subscriberId: { in: page.map((subscriber) => subscriber.id) }, paperId: { in: [...candidates.papers.keys()] } },
    select: { subscriberId: true, paperId: true },
  });
  const sent = new Map<number, Set<number>>();
  for (const row of rows) {
    const set = sent.get(row.subscriberId) ?? new Set<number>();
    set.add(row.paperId);
    sent.set(row.subscriberId, set);
  }
  return sent;
}
