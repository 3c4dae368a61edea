// Runs the web app until SIGINT/SIGTERM; unconfirmed subscriptions are purged hourly.
import type { AppContext } from "../context.ts";
import { describeError } from "../errors.ts";
import { purgeExpiredPending } from "../subscriptions/subscribe.ts";
import { createApp } from "./app.ts";

const PURGE_EVERY_MS = 60 * 60 * 1000;

/** Listens on the configured host and port; resolves when the server has shut down. */
export async function serve(ctx: AppContext): Promise<void> {
  const app = await createApp({ ...ctx, trustProxy: ctx.config.trustProxy });
  const address = await app.listen({ host: ctx.config.host, port: ctx.config.port });
  ctx.log.info(`paperboy is listening on ${address} (public URL ${ctx.config.publicUrl}); mail goes to ${ctx.mailer.description}`);

  const purge = () =>
    purgeExpiredPending(ctx.db, ctx.now()).then(
      (count) => count > 0 && ctx.log.info(`Deleted ${count} unconfirmed subscriptions older than 7 days`),
      (error) => ctx.log.warn(`Purging unconfirmed subscriptions failed: ${describeError(error)}`),
    );
  await purge();
  const timer = setInterval(purge, PURGE_EVERY_MS);

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      ctx.log.info(`${signal}: shutting down`);
      clearInterval(timer);
      app.close().then(resolve, resolve);
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}
