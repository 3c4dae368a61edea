// Wiring: builds the dependencies every command needs from the validated config.
// Used by the CLI (and the server entry point later); nothing else reads config.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Config } from "./config.ts";
import type { Db } from "./db/client.ts";
import { openDatabase } from "./db/open-database.ts";
import type { Mailer } from "./delivery/mailer.ts";
import { createOutboxMailer } from "./delivery/outbox-mailer.ts";
import { createSmtpMailer } from "./delivery/smtp-mailer.ts";
import type { MailSettings } from "./digest/compose-digest.ts";
import type { RunDeps } from "./digest/run-deps.ts";
import type { Log } from "./log.ts";
import { loadTemplates } from "./rendering/templates.ts";
import { createOpenAiEmbedder } from "./sources/openai-embedder.ts";

export type AppContext = RunDeps & {
  config: Config;
  databaseUrl: string;
  /** True when PAPERBOY_SECRET is unset and a generated local secret is used. */
  secretIsGenerated: boolean;
  close(): Promise<void>;
};

export const LIST_NAME = "paperboy";

/** Opens the database (migrating it), loads templates and picks the mailer. Call close() at the end. */
export async function openContext(config: Config, log: Log): Promise<AppContext> {
  const templates = await loadTemplates();
  const secret = config.secret ?? (await loadLocalSecret(config.dataDir, log));
  const mail: MailSettings = { secret, publicUrl: config.publicUrl, from: config.from, listName: LIST_NAME };
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
    async close() {
      await mailer.close();
      await database.close();
    },
  };
}

export function createMailer(config: Pick<Config, "smtpUrl" | "outboxDir" | "smtpConcurrency" | "smtpRate" | "dkim">): Mailer {
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
