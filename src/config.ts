// The one place that reads configuration from the environment. Every key is
// documented in .env.example.
import { readFileSync } from "node:fs";
import cron from "node-cron";
import { z } from "zod";
import { AppError, describeError } from "./errors.ts";
import type { LogFormat, LogLevel } from "./log.ts";
import { parseSourceSpecs, type SourceSettings, type SourceSpec } from "./sources/configured.ts";

const optional = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

// Every rule is one phrase; loadConfig prints "KEY: <rule>, got <value>".
const HTTP_URL = "must be an http(s) URL";
/** Where the Hugging Face listing's thumbnails are. */
const HF_THUMBNAILS = "https://cdn-thumbnails.huggingface.co";
const httpUrl = (fallback: string) => optional.default(fallback).pipe(z.url({ protocol: /^https?$/, error: HTTP_URL }));
const wholeNumber = (fallback: number, min: number, max: number) => {
  const rule = `must be a whole number from ${min} to ${max}`;
  return optional.default(String(fallback)).pipe(z.string().regex(/^\d+$/, rule).transform(Number).pipe(z.number().min(min, rule).max(max, rule)));
};
const flag = (fallback: "true" | "false") => optional.default(fallback).pipe(z.enum(["true", "false"], { error: "must be true or false" }));
const secret = (min: number) => optional.pipe(z.string().min(min, `must be at least ${min} characters`).optional());
const timeZone = optional.default("UTC").pipe(z.string().refine(isTimeZone, "must be an IANA time zone such as Europe/Berlin"));
/** false, a number of hops, or proxy addresses: never "every hop", which lets a client spoof its address. */
export type TrustProxy = false | number | string;

function parseTrustProxy(text: string): TrustProxy | undefined {
  if (text === "false" || text === "0") return false;
  if (text === "true") return 1; // one reverse proxy in front: its X-Forwarded-For entry is the client
  if (/^\d+$/.test(text)) return Math.min(Number(text), 16);
  const addresses = text.split(",").map((part) => part.trim());
  return addresses.every((address) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(address)) ? addresses.join(",") : undefined;
}

const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
const LOG_FORMATS = ["pretty", "json"] as const;

const schema = z.object({
  DATABASE_URL: optional.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
      .optional(),
  ),
  PAPERBOY_DATA_DIR: optional.default("data"),
  PAPERBOY_OUTBOX_DIR: optional,
  PAPERBOY_SMTP_URL: optional.pipe(
    z
      .string()
      .regex(/^smtps?:\/\//, "must start with smtp:// or smtps://")
      .optional(),
  ),
  PAPERBOY_FROM: optional.default("paperboy <digest@localhost>").pipe(z.string().regex(/^[^<>@\s]+@[^<>@\s]+$|<[^<>@\s]+@[^<>@\s]+>$/, "must be an address, e.g. paperboy <digest@example.org>")),
  PAPERBOY_SENDER_ADDRESS: optional.pipe(z.string().max(300, "must be at most 300 characters").optional()),
  PAPERBOY_PUBLIC_URL: optional.pipe(z.url({ protocol: /^https?$/, error: HTTP_URL }).optional()),
  PAPERBOY_SECRET: secret(32),
  PAPERBOY_LOOKBACK_DAYS: wholeNumber(2, 1, 31),
  PAPERBOY_MAX_PAPERS: wholeNumber(10, 1, 50),
  PAPERBOY_HOST: optional.default("127.0.0.1"),
  PAPERBOY_PORT: wholeNumber(3000, 0, 65535),
  PAPERBOY_TRUST_PROXY: optional.default("false").transform((text, context) => {
    const trust = parseTrustProxy(text);
    if (trust === undefined) context.addIssue({ code: "custom", message: "must be false, true (one proxy), a number of proxy hops, or a comma-separated list of proxy addresses/CIDRs" });
    return trust ?? false;
  }),
  PAPERBOY_CRON: optional.default("*/15 * * * *").pipe(z.string().refine((text) => cron.validate(text), "must be a cron expression of 5 or 6 fields, e.g. */15 * * * *")),
  PAPERBOY_CRON_TIMEZONE: timeZone,
  PAPERBOY_WORKERS: wholeNumber(2, 0, 32),
  PAPERBOY_SMTP_CONCURRENCY: wholeNumber(5, 1, 100),
  PAPERBOY_SMTP_RATE: optional.pipe(
    z
      .string()
      .refine((text) => /^\d+(\.\d+)?$/.test(text) && Number(text) > 0, "must be a number of messages per second above 0")
      .optional(),
  ),
  PAPERBOY_SOURCES: optional.default("hf").transform((text, context) => {
    try {
      return parseSourceSpecs(text);
    } catch (error) {
      context.addIssue({ code: "custom", message: describeError(error) });
      return z.NEVER;
    }
  }),
  PAPERBOY_HF_URL: httpUrl("https://huggingface.co"),
  PAPERBOY_THUMBNAILS: optional.default(HF_THUMBNAILS).transform((text, context) => {
    if (text.toLowerCase() === "off") return [];
    const origins = text
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
    const bad = origins.filter((item) => !isOrigin(item));
    if (bad.length > 0 || origins.length === 0) {
      context.addIssue({ code: "custom", message: "must be off or a comma-separated list of http(s) origins (https://host[:port], no path), e.g. https://cdn-thumbnails.huggingface.co" });
      return z.NEVER;
    }
    return origins.map((item) => new URL(item).origin);
  }),
  HF_TOKEN: optional,
  PAPERBOY_ARXIV_RSS_URL: httpUrl("https://rss.arxiv.org/rss"),
  PAPERBOY_ARXIV_API_URL: httpUrl("https://export.arxiv.org/api/query"),
  PAPERBOY_ARXIV_INTERVAL_MS: wholeNumber(3000, 0, 60_000),
  PAPERBOY_ARXIV_REPLACEMENTS: flag("false"),
  PAPERBOY_WEBHOOK_SECRET: secret(16),
  PAPERBOY_ADMIN_TOKEN: secret(16),
  PAPERBOY_DKIM_DOMAIN: optional,
  PAPERBOY_DKIM_SELECTOR: optional,
  PAPERBOY_DKIM_PRIVATE_KEY: optional,
  PAPERBOY_EMBEDDINGS_URL: optional.pipe(z.url({ protocol: /^https?$/, error: HTTP_URL }).optional()),
  PAPERBOY_EMBEDDINGS_MODEL: optional,
  PAPERBOY_EMBEDDINGS_KEY: optional,
  PAPERBOY_LOG_LEVEL: optional.default("info").pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` })),
  PAPERBOY_LOG_FORMAT: optional.pipe(z.enum(LOG_FORMATS, { error: `must be one of ${LOG_FORMATS.join(", ")}` }).optional()),
});

/** Keys whose values are never printed, only their length. */
const SECRET_KEYS = new Set(["PAPERBOY_SECRET", "PAPERBOY_WEBHOOK_SECRET", "PAPERBOY_ADMIN_TOKEN", "HF_TOKEN", "PAPERBOY_DKIM_PRIVATE_KEY", "PAPERBOY_EMBEDDINGS_KEY"]);

export type Config = {
  databaseUrl?: string;
  dataDir: string;
  outboxDir: string;
  smtpUrl?: string;
  from: string;
  /** Who sends the list and their postal address, shown in every digest footer (CAN-SPAM asks for one). */
  senderAddress?: string;
  publicUrl: string;
  /** PAPERBOY_PUBLIC_URL is unset: publicUrl is http://localhost and the port (the one serve listens on, once known). */
  publicUrlIsDefault: boolean;
  secret?: string;
  lookbackDays: number;
  defaultMaxPapers: number;
  logLevel: LogLevel;
  /** Unset: pretty on a terminal, JSON lines otherwise. */
  logFormat?: LogFormat;
  host: string;
  port: number;
  /** Behind a reverse proxy: take the client address from X-Forwarded-For. */
  /** Proxy hops (or proxy addresses) whose X-Forwarded-For is believed; false: none. */
  trustProxy: TrustProxy;
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
  /** Origins paper thumbnails are fetched from at ingest (PAPERBOY_THUMBNAILS); empty: none. */
  thumbnailOrigins: string[];
  /** Dense embeddings (off when PAPERBOY_EMBEDDINGS_URL is unset). */
  embeddings?: { url: string; model: string; key?: string };
};

/** Validates the environment once; throws CONFIG_INVALID naming every bad key. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0]);
      return `${key}: ${issue.message}, got ${showValue(key, env[key]?.trim() ?? "")}`;
    });
    throw new AppError("CONFIG_INVALID", `Invalid configuration: ${problems.join("; ")}`);
  }
  const values = parsed.data;
  return {
    databaseUrl: values.DATABASE_URL,
    dataDir: values.PAPERBOY_DATA_DIR,
    outboxDir: values.PAPERBOY_OUTBOX_DIR ?? `${values.PAPERBOY_DATA_DIR}/outbox`,
    smtpUrl: values.PAPERBOY_SMTP_URL,
    from: values.PAPERBOY_FROM,
    senderAddress: values.PAPERBOY_SENDER_ADDRESS?.replace(/\s+/g, " ").trim() || undefined,
    // Unset: the address `serve` listens on, so a local install's links work on any port.
    publicUrl: (values.PAPERBOY_PUBLIC_URL ?? `http://localhost:${values.PAPERBOY_PORT || 3000}`).replace(/\/+$/, ""),
    publicUrlIsDefault: values.PAPERBOY_PUBLIC_URL === undefined,
    secret: values.PAPERBOY_SECRET,
    lookbackDays: values.PAPERBOY_LOOKBACK_DAYS,
    defaultMaxPapers: values.PAPERBOY_MAX_PAPERS,
    logLevel: values.PAPERBOY_LOG_LEVEL,
    logFormat: values.PAPERBOY_LOG_FORMAT,
    host: values.PAPERBOY_HOST,
    port: values.PAPERBOY_PORT,
    trustProxy: values.PAPERBOY_TRUST_PROXY,
    cron: values.PAPERBOY_CRON,
    cronTimezone: values.PAPERBOY_CRON_TIMEZONE,
    workers: values.PAPERBOY_WORKERS,
    smtpConcurrency: values.PAPERBOY_SMTP_CONCURRENCY,
    smtpRate: values.PAPERBOY_SMTP_RATE === undefined ? undefined : Number(values.PAPERBOY_SMTP_RATE),
    sources: values.PAPERBOY_SOURCES,
    sourceSettings: {
      hfUrl: values.PAPERBOY_HF_URL,
      hfToken: values.HF_TOKEN,
      arxivRssUrl: values.PAPERBOY_ARXIV_RSS_URL,
      arxivApiUrl: values.PAPERBOY_ARXIV_API_URL,
      arxivIntervalMs: values.PAPERBOY_ARXIV_INTERVAL_MS,
      arxivReplacements: values.PAPERBOY_ARXIV_REPLACEMENTS === "true",
    },
    thumbnailOrigins: values.PAPERBOY_THUMBNAILS,
    webhookSecret: values.PAPERBOY_WEBHOOK_SECRET,
    adminToken: values.PAPERBOY_ADMIN_TOKEN,
    dkim: readDkim(values.PAPERBOY_DKIM_DOMAIN, values.PAPERBOY_DKIM_SELECTOR, values.PAPERBOY_DKIM_PRIVATE_KEY),
    embeddings: readEmbeddings(values.PAPERBOY_EMBEDDINGS_URL, values.PAPERBOY_EMBEDDINGS_MODEL, values.PAPERBOY_EMBEDDINGS_KEY),
  };
}

/** A value as an error message may show it: secrets by length only, URLs without their password. */
function showValue(key: string, value: string): string {
  if (SECRET_KEYS.has(key)) return `${value.length} characters`;
  return JSON.stringify(value.replace(/\/\/([^:/@]*):[^@/]*@/, "//$1:***@"));
}

/** "https://host[:port]" with nothing after it (a trailing slash allowed). */
function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "https:" || url.protocol === "http:") && url.username === "" && url.pathname === "/" && url.search === "" && url.hash === "";
  } catch {
    return false;
  }
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function readDkim(domainName?: string, keySelector?: string, key?: string): Config["dkim"] {
  const keys = { PAPERBOY_DKIM_DOMAIN: domainName, PAPERBOY_DKIM_SELECTOR: keySelector, PAPERBOY_DKIM_PRIVATE_KEY: key };
  const given = Object.keys(keys).filter((name) => keys[name as keyof typeof keys] !== undefined);
  if (given.length === 0) return undefined;
  if (!domainName || !keySelector || !key) {
    throw new AppError("CONFIG_INVALID", `Invalid configuration: ${Object.keys(keys).join(", ")}: must be set all three or none, got only ${given.join(" and ")}`);
  }
  // The key itself (PEM) or the path of a file holding it.
  const privateKey = key.includes("-----BEGIN") ? key.replace(/\\n/g, "\n") : readKeyFile(key);
  return { domainName, keySelector, privateKey };
}

function readEmbeddings(url?: string, model?: string, key?: string): Config["embeddings"] {
  if (url === undefined) {
    if (model !== undefined || key !== undefined) throw new AppError("CONFIG_INVALID", `Invalid configuration: PAPERBOY_EMBEDDINGS_URL: must be set when PAPERBOY_EMBEDDINGS_MODEL or _KEY is, got ""`);
    return undefined;
  }
  if (model === undefined)
    throw new AppError("CONFIG_INVALID", `Invalid configuration: PAPERBOY_EMBEDDINGS_MODEL: must name the embedding model when PAPERBOY_EMBEDDINGS_URL is set (e.g. nomic-embed-text), got ""`);
  return { url, model, key };
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new AppError("CONFIG_INVALID", `Invalid configuration: PAPERBOY_DKIM_PRIVATE_KEY: must be the PEM key or the path of a readable file, got ${JSON.stringify(path)} (${describeError(error)})`);
  }
}
