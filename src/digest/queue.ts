// Digest batches on pg-boss 10 in the same PostgreSQL: the scheduler enqueues,
// workers (in `serve` or `paperboy worker`, on any machine) process.
import PgBoss from "pg-boss";
import { createOutageReporter, isDatabaseUnreachable } from "../db/unreachable.ts";
import { describeError } from "../errors.ts";
import type { Log } from "../log.ts";
import { batchCounts, batchJobId, processBatch, type CandidateCache, type DeliveryOptions } from "./worker.ts";
import type { DigestBatch } from "./plan.ts";
import type { RunDeps } from "./run-deps.ts";

export const DIGEST_QUEUE = "digest-batch";
const MAX_WAIT_MS = 10_000;

export type Queue = {
  /** Enqueues the batch unless the same batch is already queued or done; true when new. */
  enqueue(batch: DigestBatch): Promise<boolean>;
  /** Starts `count` workers in this process. */
  work(deps: RunDeps & DeliveryOptions, count: number): Promise<void>;
  stop(): Promise<void>;
};

/** Connects pg-boss (creating its schema and the queue on first use). */
export async function startQueue(databaseUrl: string, log: Log): Promise<Queue> {
  const boss = new PgBoss({ connectionString: databaseUrl, schema: "pgboss", max: 4 });
  let stopping = false;
  const reportOutage = createOutageReporter(log, "queue");
  // pg-boss's pool may still report its connections closing after stop(); that is not an error.
  // While the database is down every poll fails: pg-boss keeps polling, and that is logged once a minute.
  boss.on("error", (error: Error) => {
    if (stopping) return;
    if (isDatabaseUnreachable(error)) reportOutage(error);
    else log.error(`queue: ${describeError(error)}`);
  });
  await boss.start();
  await createDigestQueue(boss);
  const cache: CandidateCache = new Map();
  return {
    async enqueue(batch) {
      return (await boss.send(DIGEST_QUEUE, batch, { id: batchJobId(batch), singletonKey: `${batch.digestKey}:${batch.ids[0]}` })) !== null;
    },
    async work(deps, count) {
      for (let i = 0; i < count; i++) {
        // pg-boss polls once a second when idle; after a batch the worker is nudged
        // to fetch the next one at once, or it would sit out the rest of the second.
        const id: string = await boss.work<DigestBatch>(DIGEST_QUEUE, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
          if (!job) return;
          try {
            const result = batchCounts(await processBatch(deps, job.data, cache));
            deps.log.info(`batch ${job.data.digestKey} (${job.data.ids.length} subscribers): ${JSON.stringify(result)}`);
            setImmediate(() => boss.notifyWorker(id));
            return result;
          } catch (error) {
            // pg-boss records a job's outcome without awaiting it: with the database
            // down, that write's failure would be an unhandled rejection, which ends
            // the process. So the failed batch is handed back once the database answers.
            if (isDatabaseUnreachable(error)) await waitForDatabase(boss, log, () => stopping);
            throw error;
          }
        });
      }
    },
    async stop() {
      stopping = true;
      await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
    },
  };
}

/** Resolves once the queue's database answers (checked with a growing delay, up to 10 s), or when the queue stops. */
async function waitForDatabase(boss: PgBoss, log: Log, isStopping: () => boolean): Promise<void> {
  log.warn("queue: a batch failed because the database is unreachable; waiting for the database before handing it back for a retry");
  for (let wait = 500; !isStopping(); wait = Math.min(wait * 2, MAX_WAIT_MS)) {
    try {
      await boss.getDb().executeSql("SELECT 1", []);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/**
 * Creates the digest queue unless it exists. Processes starting together on a
 * fresh database race to create it: the loser sees "already exists", or
 * PostgreSQL picks it as a deadlock victim (issue 12: two workers started at once,
 * one died with "deadlock detected"); then the queue is looked up again.
 */
async function createDigestQueue(boss: PgBoss): Promise<void> {
  for (let attempt = 1; !(await boss.getQueue(DIGEST_QUEUE)); attempt++) {
    try {
      await boss.createQueue(DIGEST_QUEUE, { name: DIGEST_QUEUE, retryLimit: 5, retryDelay: 60, retryBackoff: true, expireInSeconds: 30 * 60 });
    } catch (error) {
      const raced = /already exists|duplicate key|deadlock detected/.test(describeError(error));
      if (!raced || attempt >= 5) throw error;
    }
  }
}
