// The run report: every tick and manual run with what its deliveries became.
import type { Db } from "../db/client.ts";
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
  deliveries: { sent: number; failed: number; skipped: number; sending: number; possibleDuplicates: number };
};

/** The last `count` runs, newest first, with their deliveries counted from the ledger. Read-only. */
export async function listRuns(db: Db, count: number, now = new Date()): Promise<RunSummary[]> {
  const runs = await db.run.findMany({ orderBy: { id: "desc" }, take: count });
  const ids = runs.map((run) => run.id);
  const byStatus = await db.delivery.groupBy({ by: ["runId", "status"], where: { runId: { in: ids } }, _count: { _all: true } });
  const duplicates = await db.delivery.groupBy({ by: ["runId"], where: { runId: { in: ids }, possibleDuplicate: true }, _count: { _all: true } });
  return runs.map((run) => {
    const count = (status: string) => byStatus.find((row) => row.runId === run.id && row.status === status)?._count._all ?? 0;
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
      deliveries: {
        sent: count("sent"),
        failed: count("failed"),
        skipped: count("skipped"),
        sending: count("sending"),
        possibleDuplicates: duplicates.find((row) => row.runId === run.id)?._count._all ?? 0,
      },
    };
  });
}
