// The run records: every tick and manual run with what its deliveries became
// (Prisma: typed reads of the Run table; the ledger counts its own rows).
import type { Db } from "../db/client.ts";
import { deliveryCountsByRun, type RunDeliveries } from "../delivery/ledger.ts";
import { hasDied } from "./run-owner.ts";

export type RunSummary = {
  id: number;
  kind: string;
  digestDate: string;
  dryRun: boolean;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  /** running; finished; died: unfinished, and its process is gone (see hasDied). */
  state: "running" | "finished" | "died";
  /** What the run recorded itself (ingest per source, due, batches, counts, errors). */
  report: unknown;
  /** Ledger rows written by this run's sends, by status, plus possible duplicates. */
  deliveries: RunDeliveries;
};

/** The last `count` runs, newest first, with their deliveries counted from the ledger. Read-only. */
export async function listRuns(db: Db, count: number, now = new Date()): Promise<RunSummary[]> {
  const runs = await db.run.findMany({ orderBy: { id: "desc" }, take: count });
  const ids = runs.map((run) => run.id);
  const counts = await deliveryCountsByRun(db, ids);
  return runs.map((run) => {
    return {
      id: run.id,
      kind: run.kind,
      digestDate: run.digestDate,
      dryRun: run.dryRun,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      durationMs: run.finishedAt ? run.finishedAt.getTime() - run.startedAt.getTime() : null,
      state: run.finishedAt ? "finished" : hasDied(run, now) ? "died" : "running",
      report: run.report,
      deliveries: counts.get(run.id) ?? { sent: 0, failed: 0, skipped: 0, sending: 0, possibleDuplicates: 0 },
    };
  });
}

/** When the newest tick started; null before the first. Newest by id: the primary key's index, whatever the size of the Run table. */
export async function lastTick(db: Db): Promise<{ startedAt: Date } | null> {
  return db.run.findFirst({ where: { kind: "tick" }, orderBy: { id: "desc" }, select: { startedAt: true } });
}
