// The long-running part of paperboy: the queue, its workers and the scheduler,
// as `serve` and `paperboy worker` run them.
import { toDay } from "../days.ts";
import type { AppContext } from "../context.ts";
import { createCircuitBreaker } from "../delivery/circuit-breaker.ts";
import { createSources } from "../sources/configured.ts";
import type { Source } from "../sources/source.ts";
import { startQueue, type Queue } from "./queue.ts";
import { startScheduler, type Scheduler } from "./scheduler.ts";
import { runTick } from "./tick.ts";

export type DigestService = { queue: Queue; stop(): Promise<void> };

/** The sources a tick ingests (PAPERBOY_SOURCES), for today's listing in UTC. */
export function configuredSources(ctx: AppContext): Source[] {
  return createSources(ctx.config.sources, toDay(ctx.now()), ctx.config.sourceSettings, { log: ctx.log });
}

/** Starts `workers` queue workers and, with `scheduler`, the cron tick. stop() drains and stops both. */
export async function startDigestService(ctx: AppContext, options: { scheduler: boolean; workers: number }): Promise<DigestService> {
  const queue = await startQueue(ctx.databaseUrl, ctx.log);
  const breaker = createCircuitBreaker({ now: ctx.now });
  await queue.work({ ...ctx, concurrency: ctx.config.smtpConcurrency, breaker }, options.workers);
  let scheduler: Scheduler | undefined;
  if (options.scheduler) {
    scheduler = startScheduler({
      cron: ctx.config.cron,
      timezone: ctx.config.cronTimezone,
      log: ctx.log,
      tick: async () => {
        const report = await runTick({ db: ctx.db, log: ctx.log, now: ctx.now, sources: configuredSources(ctx), embedder: ctx.embedder, enqueue: (batch) => queue.enqueue(batch) });
        if (report.due > 0 || report.ingest.length > 0) ctx.log.info(`tick: ${report.due} due, ${report.enqueued} batches enqueued (${report.alreadyQueued} already queued)`);
      },
    });
    ctx.log.info(`scheduler: "${ctx.config.cron}" (${ctx.config.cronTimezone}); ${options.workers} workers`);
  }
  return {
    queue,
    async stop() {
      await scheduler?.stop();
      await queue.stop();
    },
  };
}
