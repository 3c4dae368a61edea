// The one place that reads configuration from the environment. Every key is
// documented in .env.example.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { AppError } from "./errors.ts";
import type { LogLevel } from "./log.ts";
import { parseSourceSpecs, type SourceSettings, type SourceSpec } from "./sources/configured.ts";

const optional = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

const schema = z.object({
  DATABASE_URL: optional.pipe(z.string().regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://").optional()),
  PAPERBOY_DATA_DIR: optional.default("data"),
  PAPERBOY_OUTBOX_DIR: optional,
  PAPERBOY_SMTP_URL: optional.pipe(z.string().regex(/^smtps?:\/\//, "must start with smtp:// or smtps://").optional()),
  PAPERBOY_FROM: optional.default("paperboy <digest@localhost>"),
  PAPERBOY_PUBLIC_URL: optional.default("http://localhost:3000").pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" })),
  PAPERBOY_SECRET: optional.pipe(z.string().min(32, "must be at least 32 characters").optional()),
  PAPERBOY_LOOKBACK_DAYS: optional.default("2").transform(Number).pipe(z.number().int().min(1).max(31)),
  PAPERBOY_MAX_PAPERS: optional.default("10").transform(Number).pipe(z.number().int().min(1).max(50)),
  PAPERBOY_HOST: optional.default("127.0.0.1"),
  PAPERBOY_PORT: optional.default("3000").transform(Number).pipe(z.number().int().min(0).max(65535)),
  PAPERBOY_TRUST_PROXY: optional.default("false").pipe(z.enum(["true", "false"], { error: "must be true or false" })),
  PAPERBOY_CRON: optional.default("*/15 * * * *"),
  PAPERBOY_CRON_TIMEZONE: optional.default("UTC"),
  PAPERBOY_WORKERS: optional.default("2").transform(Number).pipe(z.number().int().min(0).max(32)),
  PAPERBOY_SMTP_CONCURRENCY: optional.default("5").transform(Number).pipe(z.number().int().min(1).max(100)),
  PAPERBOY_SMTP_RATE: optional.pipe(z.string().regex(/^\d+(\.\d+)?$/, "must be a number of messages per second").optional()),
  PAPERBOY_SOURCES: optional.default("hf"),
  PAPERBOY_HF_URL: optional.default("https://huggingface.co").pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" })),
  HF_TOKEN: optional,
  PAPERBOY_ARXIV_RSS_URL: optional.default("https://rss.arxiv.org/rss").pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" })),
  PAPERBOY_ARXIV_API_URL: optional.default("https://export.arxiv.org/api/query").pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" })),
  PAPERBOY_ARXIV_INTERVAL_MS: optional.default("3000").transform(Number).pipe(z.number().int().min(0).max(60_000)),
  PAPERBOY_ARXIV_REPLACEMENTS: optional.default("false").pipe(z.enum(["true", "false"], { error: "must be true or false" })),
  PAPERBOY_WEBHOOK_SECRET: optional.pipe(z.string().min(16, "must be at least 16 characters").optional()),
  PAPERBOY_ADMIN_TOKEN: optional.pipe(z.string().min(16, "must be at least 16 characters").optional()),
  PAPERBOY_DKIM_DOMAIN: optional,
  PAPERBOY_DKIM_SELECTOR: optional,
  PAPERBOY_DKIM_PRIVATE_KEY: optional,
  PAPERBOY_LOG_LEVEL: optional.default("info").pipe(z.enum(["debug", "info", "warn", "error", "silent"])),
});

export type Config = {
  databaseUrl?: string;
  dataDir: string;
  outboxDir: string;
  smtpUrl?: string;
  from: string;
  publicUrl: string;
  secret?: string;
  lookbackDays: number;
  defaultMaxPapers: number;
  logLevel: LogLevel;
  host: string;
  port: number;
  /** Behind a reverse proxy: take the client address from X-Forwarded-For. */
  trustProxy: boolean;
  cron: string;
  cronTimezone: string;
  /** In-process queue workers in `serve` (and the default for `paperboy worker`). */
  workers: number;
  smtpConcurrency: number;
  /** Messages per second, or undefined for no limit. */
  smtpRate?: number;
  /** What each tick ingests (PAPERBOY_SOURCES). */
  sources: SourceSpec[];
  sourceSettings: SourceSettings;
  webhookSecret?: string;
  adminToken?: string;
  dkim?: { domainName: string; keySelector: string; privateKey: string };
};

/** Validates the environment once; throws CONFIG_INVALID naming every bad key. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`);
    throw new AppError("CONFIG_INVALID", `Invalid configuration: ${problems.join("; ")}`);
  }
  const values = parsed.data;
  return {
    databaseUrl: values.DATABASE_URL,
    dataDir: values.PAPERBOY_DATA_DIR,
    outboxDir: values.PAPERBOY_OUTBOX_DIR ?? `${values.PAPERBOY_DATA_DIR}/outbox`,
    smtpUrl: values.PAPERBOY_SMTP_URL,
    from: values.PAPERBOY_FROM,
    publicUrl: values.PAPERBOY_PUBLIC_URL.replace(/\/+$/, ""),
    secret: values.PAPERBOY_SECRET,
    lookbackDays: values.PAPERBOY_LOOKBACK_DAYS,
    defaultMaxPapers: values.PAPERBOY_MAX_PAPERS,
    logLevel: values.PAPERBOY_LOG_LEVEL,
    host: values.PAPERBOY_HOST,
    port: values.PAPERBOY_PORT,
    trustProxy: values.PAPERBOY_TRUST_PROXY === "true",
    cron: values.PAPERBOY_CRON,
    cronTimezone: values.PAPERBOY_CRON_TIMEZONE,
    workers: values.PAPERBOY_WORKERS,
    smtpConcurrency: values.PAPERBOY_SMTP_CONCURRENCY,
    smtpRate: values.PAPERBOY_SMTP_RATE === undefined ? undefined : Number(values.PAPERBOY_SMTP_RATE),
    sources: parseSourceSpecs(values.PAPERBOY_SOURCES),
    sourceSettings: {
      hfUrl: values.PAPERBOY_HF_URL,
      hfToken: values.HF_TOKEN,
      arxivRssUrl: values.PAPERBOY_ARXIV_RSS_URL,
      arxivApiUrl: values.PAPERBOY_ARXIV_API_URL,
      arxivIntervalMs: values.PAPERBOY_ARXIV_INTERVAL_MS,
      arxivReplacements: values.PAPERBOY_ARXIV_REPLACEMENTS === "true",
    },
    webhookSecret: values.PAPERBOY_WEBHOOK_SECRET,
    adminToken: values.PAPERBOY_ADMIN_TOKEN,
    dkim: readDkim(values.PAPERBOY_DKIM_DOMAIN, values.PAPERBOY_DKIM_SELECTOR, values.PAPERBOY_DKIM_PRIVATE_KEY),
  };
}

function readDkim(domainName?: string, keySelector?: string, key?: string): Config["dkim"] {
  const given = [domainName, keySelector, key].filter((value) => value !== undefined).length;
  if (given === 0) return undefined;
  if (given < 3 || !domainName || !keySelector || !key) {
    throw new AppError("CONFIG_INVALID", "Invalid configuration: set all of PAPERBOY_DKIM_DOMAIN, PAPERBOY_DKIM_SELECTOR and PAPERBOY_DKIM_PRIVATE_KEY, or none");
  }
  // The key itself (PEM) or the path of a file holding it.
  const privateKey = key.includes("-----BEGIN") ? key.replace(/\\n/g, "\n") : readKeyFile(key);
  return { domainName, keySelector, privateKey };
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new AppError("CONFIG_INVALID", `Invalid configuration: PAPERBOY_DKIM_PRIVATE_KEY: cannot read ${path}: ${(error as Error).message}`);
  }
}
