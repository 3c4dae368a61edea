// Outcomes are committed in batches: one statement per `rows` outcomes or per
// `delayMs`, whichever comes first, instead of one commit per message (issue 16:
// PostgreSQL took ~2 ms of CPU per message for the claim and record commits).
// What a crash can cost is bounded by the batch: a message sent but whose outcome
// was not committed yet stays "sending", and once its lease passes it is claimed
// again, flagged as a possible duplicate (see reopenedSql).
import type { Db } from "../db/client.ts";
import { recordOutcomes, type ClaimOutcome } from "./ledger.ts";

export type LedgerWriter = {
  /**
   * Queues an outcome. Resolves at once, unless `rows` outcomes are waiting while
   * a commit is under way: then once that commit ends (so at most about 2 × rows
   * outcomes are ever uncommitted). Throws the error of a failed commit.
   */
  record(outcome: ClaimOutcome): Promise<void>;
  /** Commits what is queued, waits for every commit, and throws the error of any that failed. */
  close(): Promise<void>;
};

export type LedgerBatch = { rows: number; delayMs: number };

/**
 * 20 outcomes or a quarter of a second: a commit per 20 messages at full speed
 * (PostgreSQL's CPU per message falls ~10×), and a crash copies at most a few
 * dozen messages (each flagged), where one commit per message would copy those
 * in flight only.
 */
export const LEDGER_BATCH: LedgerBatch = { rows: 20, delayMs: 250 };

export function createLedgerWriter(db: Db, batch: LedgerBatch = LEDGER_BATCH): LedgerWriter {
  let pending: ClaimOutcome[] = [];
  let committing: Promise<void> | undefined;
  let failure: unknown;
  let timer: NodeJS.Timeout | undefined;

  const commit = () => {
    clearTimeout(timer);
    timer = undefined;
    if (committing || pending.length === 0) return;
    const outcomes = pending;
    pending = [];
    committing = recordOutcomes(db, outcomes)
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => {
        committing = undefined;
        if (pending.length >= batch.rows) commit();
        else if (pending.length > 0) arm();
      });
  };
  const arm = () => {
    timer ??= setTimeout(commit, batch.delayMs).unref();
  };

  return {
    async record(outcome) {
      if (failure) throw failure;
      pending.push(outcome);
      if (pending.length < batch.rows) arm();
      else if (committing) await committing;
      else commit();
      if (failure) throw failure;
    },
    async close() {
      clearTimeout(timer);
      timer = undefined;
      while (committing || pending.length > 0) {
        if (committing) await committing;
        else commit();
      }
      if (failure) throw failure;
    },
  };
}
