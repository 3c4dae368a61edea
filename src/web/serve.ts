// Runs the web app, the scheduler and queue workers until SIGINT/SIGTERM;
// unconfirmed subscriptions are purged hourly.
import type { AppContext } from "../context.ts";
import { startDigestService } from "../digest/service.ts";
import { createConfiguredArxivLookup } from "../sources/configured.ts";
import { describeError } from "../errors.ts";
import { purgeExpiredPending } from "../subscriptions/subscribe.ts";
import { createApp } from "./app.ts";

const PURGE_EVERY_MS = 60 * 60 * 1000;

/**
 * Listens on the configured host and port, with the scheduler and in-process
 * queue workers (unless `digests` is false: the demo's web app plans and sends
 * nothing, so it can never mail the install's real subscribers); resolves when
 * everything has shut down after SIGINT/SIGTERM.
 */
export async function serve(ctx: AppContext, options: { digests?: boolean } = {}): Promise<void> {
  // Signals are taken from the start, so a stop during start-up still shuts down cleanly.
  const stopped = new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  // A visitor waits for this answer: no retries (fetchText would honour a Retry-After of minutes); they can upload again.
  const lookupArxiv = createConfiguredArxivLookup(ctx.config.sources, ctx.config.sourceSettings, { log: ctx.log, retries: 0, timeoutMs: 20_000 });
  const app = await createApp({ ...ctx, trustProxy: ctx.config.trustProxy, webhookSecret: ctx.config.webhookSecret, adminToken: ctx.config.adminToken, lookupArxiv });
  const digests = options.digests === false ? undefined : await startDigestService(ctx, { scheduler: true, workers: ctx.config.workers });
  if (!digests) ctx.log.info("No scheduler and no workers: this app sends no digests (only confirmation emails, to the outbox)");
  const purge = () =>
    purgeExpiredPending(ctx.db, ctx.now()).then(
      (count) => count > 0 && ctx.log.info(`Deleted ${count} unconfirmed subscriptions older than 7 days`),
      (error) => ctx.log.warn(`Purging unconfirmed subscriptions failed: ${describeError(error)}`),
    );
  await purge();
  const timer = setInterval(purge, PURGE_EVERY_MS);
  const address = await app.listen({ host: ctx.config.host, port: ctx.config.port });
  ctx.log.info(`paperboy is listening on ${address} (public URL ${ctx.config.publicUrl}); mail goes to ${ctx.mailer.description}`);

  ctx.log.info(`${await stopped}: shutting down`);
  clearInterval(timer);
  await Promise.allSettled([app.close(), digests?.stop()]);
}
