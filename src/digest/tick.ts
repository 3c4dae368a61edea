// One scheduler tick: ingest what the sources have, find who is due in their own
// time zone, and enqueue them in batches. Never sends by itself.
import { tickDuration } from "../metrics.ts";
import { toDay } from "../days.ts";
import type { Db } from "../db/client.ts";
import { describeError } from "../errors.ts";
import { escapeControl, type Log } from "../log.ts";
import type { Embedder } from "../matching/embedder.ts";
import { ingestBatch } from "../sources/ingest.ts";
import type { Source } from "../sources/source.ts";
import type { ThumbnailSettings } from "../sources/thumbnails.ts";
import { queueDeliveries } from "../delivery/ledger.ts";
import { findDue, toBatches, type DigestBatch } from "./plan.ts";
import { closeDeadRuns, runOwner } from "./run-owner.ts";

export type TickDeps = {
  db: Db;
  log: Log;
  now: () => Date;
  sources: Source[];
  /** Set when dense embeddings are on: new papers are embedded after each ingest. */
  embedder?: Embedder;
  /** Where new papers' thumbnails are fetched from after each ingest. */
  thumbnails?: ThumbnailSettings;
  enqueue(batch: DigestBatch): Promise<boolean>;
};

export type SourceResult =
  | { source: string; status: "ok"; fetched: number; created: number; updated: number; rejected: number; embeddingsError?: string }
  | { source: string; status: "empty"; reason: string }
  | { source: string; status: "failed"; error: string };

/** due: subscribers found due; batches: jobs built for those this tick queued in the ledger; alreadyQueued: due subscribers another scheduler had just queued. */
export type TickReport = { runId: number; ingest: SourceResult[]; due: number; batches: number; enqueued: number; alreadyQueued: number; durationMs: number };

/**
 * Runs one tick and records it as a Run. One failing source never stops the
 * others or the planning. Safe to run from several schedulers at once: batches
 * have deterministic job ids and the ledger decides who sends.
 */
export async function runTick(deps: TickDeps): Promise<TickReport> {
  const timer = tickDuration.startTimer();
  try {
    return await tick(deps);
  } finally {
    timer();
  }
}

async function tick(deps: TickDeps): Promise<TickReport> {
  const started = deps.now();
  await closeDeadRuns(deps.db, started);
  const run = await deps.db.run.create({ data: { kind: "tick", digestDate: toDay(started), startedAt: started, ...runOwner() } });
  const ingest: SourceResult[] = [];
  const doneToday = await sourcesDoneToday(deps.db, started);
  for (const source of deps.sources) {
    // arXiv announces once a day: after one good ingest, later ticks of the day leave it alone.
    // HF's listing grows and its upvotes move during the day, so it is read at every tick.
    if (source.name === "arxiv" && doneToday.has("arxiv")) continue;
    ingest.push(await ingestSource(deps, source));
  }

  let due = 0;
  let batches = 0;
  let enqueued = 0;
  let alreadyQueued = 0;
  // The demo's example addresses (@example.org) are the demo's alone: `paperboy demo` sends them their digests.
  for await (const page of findDue(deps.db, { now: started, skipSources: ["demo"] })) {
    due += page.due.length;
    for (const batch of toBatches(page.due, run.id)) {
      // The ledger decides who is queued: another scheduler may have queued some of them a moment ago.
      const ids = await queueDeliveries(deps.db, batch, started);
      alreadyQueued += batch.ids.length - ids.length;
      if (ids.length === 0) continue;
      batches++;
      if (await deps.enqueue({ ...batch, ids })) enqueued++;
    }
  }
  const report: TickReport = { runId: run.id, ingest, due, batches, enqueued, alreadyQueued, durationMs: deps.now().getTime() - started.getTime() };
  const { runId: _, ...stored } = report;
  await deps.db.run.update({ where: { id: run.id }, data: { finishedAt: deps.now(), report: stored } });
  return report;
}

async function sourcesDoneToday(db: Db, now: Date): Promise<Set<string>> {
  const runs = await db.run.findMany({ where: { kind: "tick", digestDate: toDay(now) }, select: { report: true } });
  const done = new Set<string>();
  for (const run of runs) for (const result of (run.report as { ingest?: SourceResult[] } | null)?.ingest ?? []) if (result.status === "ok") done.add(result.source);
  return done;
}

async function ingestSource(deps: TickDeps, source: Source): Promise<SourceResult> {
  try {
    const batch = await source.fetchPapers();
    if (batch.papers.length === 0 && batch.rejected.length === 0) return { source: source.name, status: "empty", reason: "the source listed no papers (weekend or holiday?)" };
    const result = await ingestBatch(deps.db, batch, { embedder: deps.embedder, thumbnails: deps.thumbnails, now: deps.now });
    if (result.thumbnails?.error !== undefined)
      deps.log.warn(
        `thumbnails of ${source.name}: ${result.thumbnails.stored} stored, ${result.thumbnails.failed} failed (each tried again an hour later, three times at most; the last failure): ${escapeControl(result.thumbnails.error)}`,
      );
    const ok: SourceResult = { source: source.name, status: "ok", fetched: result.fetched, created: result.created, updated: result.updated, rejected: result.rejected.length };
    const embeddingsError = result.embeddings?.error;
    if (embeddingsError !== undefined) {
      deps.log.warn(`embedding the papers of ${source.name} failed (they are embedded at the next ingest or digest): ${escapeControl(embeddingsError)}`);
      return { ...ok, embeddingsError: escapeControl(embeddingsError) };
    }
    return ok;
  } catch (error) {
    // A source's error may quote what it received: escaped for the log and for the stored report (jsonb refuses NUL).
    const why = escapeControl(describeError(error));
    deps.log.warn(`source ${source.name} failed: ${why}`);
    return { source: source.name, status: "failed", error: why };
  }
}
