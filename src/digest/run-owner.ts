// Which process runs a Run, and what became of runs whose process died: a killed
// `paperboy run` or tick would otherwise stay "unfinished" for ever.
import { hostname } from "node:os";
import type { Db } from "../db/client.ts";
import { isProcessAlive } from "../process-alive.ts";

/** Runs unfinished this long are taken as abandoned even when their host cannot be checked (another machine). */
const ABANDONED_AFTER_MS = 24 * 60 * 60 * 1000;

/** The fields that name this process as a run's owner. */
export function runOwner(): { pid: number; host: string } {
  return { pid: process.pid, host: hostname() };
}

/** Whether an unfinished run's process is gone: on this host, its pid is not alive; elsewhere, a day has passed. */
export function hasDied(run: { finishedAt: Date | null; startedAt: Date; pid: number | null; host: string | null }, now: Date): boolean {
  if (run.finishedAt) return false;
  if (run.host === hostname() && run.pid !== null) return !isProcessAlive(run.pid);
  return now.getTime() - run.startedAt.getTime() > ABANDONED_AFTER_MS;
}

/**
 * Records as finished, with an error saying so, every unfinished run whose process
 * died (see hasDied). Their claimed ledger rows need nothing: the planner takes
 * them over once their lease has passed. Safe to run any time; returns how many.
 */
export async function closeDeadRuns(db: Db, now: Date): Promise<number> {
  const open = await db.run.findMany({ where: { finishedAt: null }, select: { id: true, startedAt: true, finishedAt: true, pid: true, host: true, report: true } });
  let closed = 0;
  for (const run of open.filter((candidate) => hasDied(candidate, now))) {
    const error = `the process running it (pid ${run.pid ?? "?"} on ${run.host ?? "an unknown host"}) ended before it finished`;
    const report = { ...((run.report as Record<string, unknown> | null) ?? {}), error };
    closed += (await db.run.updateMany({ where: { id: run.id, finishedAt: null }, data: { finishedAt: now, report } })).count;
  }
  return closed;
}
