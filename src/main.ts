// The composition root, and the program bin/paperboy.js runs: reads the
// environment (and ./.env) once, builds each command's dependencies from the
// validated config — database, mailer, templates, sources, queue, scheduler,
// web app — and hands the CLI what it wires. Nothing imports this file.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { runCli, type AppContext, type Wiring } from "./cli/commands.ts";
import { loadConfig, type Config } from "./config.ts";
import type { Db } from "./db/client.ts";
import { openDatabase } from "./db/open-database.ts";
import { createCircuitBreaker } from "./delivery/circuit-breaker.ts";
import type { Mailer } from "./delivery/mailer.ts";
import { createOutboxMailer } from "./delivery/outbox-mailer.ts";
import { createSmtpMailer } from "./delivery/smtp-mailer.ts";
import { toDay } from "./days.ts";
import type { MailSettings } from "./subscriptions/links.ts";
import { startQueue } from "./digest/queue.ts";
import { startScheduler, type Scheduler } from "./digest/scheduler.ts";
import { runTick, type TickReport } from "./digest/tick.ts";
import { describeError } from "./errors.ts";
import { createLog, type Log } from "./log.ts";
import { loadTemplates } from "./rendering/templates.ts";
import { createConfiguredArxivLookup, createSources } from "./sources/configured.ts";
import { createOpenAiEmbedder } from "./sources/openai-embedder.ts";
import type { Source } from "./sources/source.ts";
import { purgeExpiredPending } from "./subscriptions/subscribe.ts";
import { createApp } from "./web/app.ts";

const LIST_NAME = "paperboy";
const PURGE_EVERY_MS = 60 * 60 * 1000;

function readConfig(): Config {
  if (existsSync(".env")) process.loadEnvFile(".env");
  return loadConfig(process.env);
}

/** Opens the database (migrating it), loads templates and picks the mailer. Call close() at the end. */
async function openContext(config: Config, log: Log): Promise<AppContext> {
  const templates = await loadTemplates();
  const secret = config.secret ?? (await loadLocalSecret(config.dataDir, log));
  const mail: MailSettings = { secret, publicUrl: config.publicUrl, from: config.from, listName: LIST_NAME, senderAddress: config.senderAddress };
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log });
  const mailer = createMailer(config);
  return {
    config,
    db: database.db as Db,
    databaseUrl: database.url,
    secretIsGenerated: config.secret === undefined,
    mailer,
    templates,
    log,
    now: () => new Date(),
    mail,
    lookbackDays: config.lookbackDays,
    embedder: config.embeddings ? createOpenAiEmbedder(config.embeddings) : undefined,
    thumbnails: { origins: config.thumbnailOrigins },
    async close() {
      await mailer.close();
      await database.close();
    },
  };
}

function createMailer(config: Pick<Config, "smtpUrl" | "outboxDir" | "smtpConcurrency" | "smtpRate" | "dkim">): Mailer {
  return config.smtpUrl ? createSmtpMailer({ url: config.smtpUrl, maxConnections: config.smtpConcurrency, rate: config.smtpRate, dkim: config.dkim }) : createOutboxMailer(config.outboxDir);
}

/**
 * Without PAPERBOY_SECRET: a random secret kept in <dataDir>/secret, so that links
 * stay valid across restarts of a local install.
 */
async function loadLocalSecret(dataDir: string, log: Log): Promise<string> {
  const file = path.join(dataDir, "secret");
  try {
    const stored = (await readFile(file, "utf8")).trim();
    if (stored.length >= 32) return stored;
  } catch {
    // first start: create it below
  }
  const secret = randomBytes(32).toString("base64url");
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  log.warn(`PAPERBOY_SECRET is not set; using a generated secret stored in ${file}`);
  return secret;
}

/** The sources a tick ingests (PAPERBOY_SOURCES), for today's listing in UTC. */
function configuredSources(ctx: AppContext): Source[] {
  return createSources(ctx.config.sources, toDay(ctx.now()), ctx.config.sourceSettings, { log: ctx.log });
}

/** One tick's dependencies: the configured sources, and batches onto the queue. */
function tickOnce(ctx: AppContext, enqueue: Parameters<typeof runTick>[0]["enqueue"]): Promise<TickReport> {
  return runTick({ db: ctx.db, log: ctx.log, now: ctx.now, sources: configuredSources(ctx), embedder: ctx.embedder, thumbnails: ctx.thumbnails, enqueue });
}

/** Starts `workers` queue workers and, with `scheduler`, the cron tick. The result stops (draining) both. */
async function startDigests(ctx: AppContext, options: { scheduler: boolean; workers: number }): Promise<() => Promise<void>> {
  if (ctx.config.smtpUrl && !ctx.config.senderAddress) {
    ctx.log.warn(
      'PAPERBOY_SENDER_ADDRESS is not set: digests go out without the sender\'s postal address in the footer, which the US CAN-SPAM Act requires; set it to e.g. "Example Lab, 1 Main Street, Springfield"',
    );
  }
  const queue = await startQueue(ctx.databaseUrl, ctx.log);
  await queue.work({ ...ctx, concurrency: ctx.config.smtpConcurrency, breaker: createCircuitBreaker({ now: ctx.now }) }, options.workers);
  let scheduler: Scheduler | undefined;
  if (options.scheduler) {
    scheduler = startScheduler({
      cron: ctx.config.cron,
      timezone: ctx.config.cronTimezone,
      log: ctx.log,
      tick: async () => {
        const report = await tickOnce(ctx, (batch) => queue.enqueue(batch));
        if (report.due > 0 || report.ingest.length > 0) ctx.log.info(`tick: ${report.due} due, ${report.enqueued} batches enqueued (${report.alreadyQueued} already queued)`);
      },
    });
    ctx.log.info(`scheduler: "${ctx.config.cron}" (${ctx.config.cronTimezone}); ${options.workers} workers`);
  }
  return async () => {
    await scheduler?.stop();
    await queue.stop();
  };
}

/**
 * Listens on the configured host and port, with the scheduler and in-process
 * queue workers (unless `digests` is false: the demo's web app plans and sends
 * nothing, so it can never mail the install's real subscribers); unconfirmed
 * subscriptions are purged hourly. Resolves when everything has shut down after SIGINT/SIGTERM.
 */
async function serve(ctx: AppContext, options: { digests?: boolean } = {}): Promise<void> {
  // Signals are taken from the start, so a stop during start-up still shuts down cleanly.
  const stopped = untilSignal();
  // A visitor waits for this answer: no retries (fetchText would honour a Retry-After of minutes); they can upload again.
  const lookupArxiv = createConfiguredArxivLookup(ctx.config.sources, ctx.config.sourceSettings, { log: ctx.log, retries: 0, timeoutMs: 20_000 });
  // The demo's web app shows its outbox: with no admin token set, one is made up for this run and printed.
  const adminToken = ctx.config.adminToken ?? (options.digests === false ? randomBytes(18).toString("base64url") : undefined);
  const outboxDir = ctx.config.smtpUrl ? undefined : ctx.config.outboxDir;
  const app = await createApp({ ...ctx, trustProxy: ctx.config.trustProxy, webhookSecret: ctx.config.webhookSecret, adminToken, outboxDir, lookupArxiv });
  const address = await app.listen({ host: ctx.config.host, port: ctx.config.port });
  // PAPERBOY_PORT=0 and no public URL: links point at the port the system picked (known before anything is mailed).
  if (ctx.config.publicUrlIsDefault) ctx.mail.publicUrl = `http://localhost:${new URL(address).port}`;
  const stopDigests = options.digests === false ? undefined : await startDigests(ctx, { scheduler: true, workers: ctx.config.workers });
  if (!stopDigests) ctx.log.info("No scheduler and no workers: this app sends no digests (only confirmation emails, to the outbox)");
  const purge = () =>
    purgeExpiredPending(ctx.db, ctx.now()).then(
      (count) => count > 0 && ctx.log.info(`Deleted ${count} unconfirmed subscriptions older than 7 days`),
      (error) => ctx.log.warn(`Purging unconfirmed subscriptions failed: ${describeError(error)}`),
    );
  await purge();
  const timer = setInterval(purge, PURGE_EVERY_MS);
  ctx.log.info(`paperboy is listening on ${address} (public URL ${ctx.mail.publicUrl}); mail goes to ${ctx.mailer.description}`);
  if (outboxDir && adminToken) {
    const login = ctx.config.adminToken ? "PAPERBOY_ADMIN_TOKEN" : `the admin token ${adminToken} (made up for this run; set PAPERBOY_ADMIN_TOKEN to choose one)`;
    ctx.log.info(`The outbox in a browser: ${address}/outbox — log in with ${login}`);
  }

  ctx.log.info(`${await stopped}: shutting down`);
  clearInterval(timer);
  await Promise.allSettled([app.close(), stopDigests?.()]);
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
}

const wiring: Wiring = {
  async withContext(action, override = {}) {
    const config = { ...readConfig(), ...override };
    const ctx = await openContext(config, createLog(config.logLevel, undefined, config.logFormat ?? (process.stderr.isTTY ? "pretty" : "json")));
    try {
      return await action(ctx);
    } finally {
      await ctx.close();
    }
  },
  serve,
  async work(ctx, count) {
    const stop = await startDigests(ctx, { scheduler: false, workers: count });
    await untilSignal();
    await stop();
  },
  async tick(ctx) {
    const queue = await startQueue(ctx.databaseUrl, ctx.log);
    try {
      return await tickOnce(ctx, (batch) => queue.enqueue(batch));
    } finally {
      await queue.stop();
    }
  },
  lookupArxiv: (ctx) => createConfiguredArxivLookup(ctx.config.sources, ctx.config.sourceSettings, { log: ctx.log }),
};

await runCli(process.argv, wiring);
