// The one place that reads configuration from the environment. Every key is
// documented in .env.example.
import { z } from "zod";
import { AppError } from "./errors.ts";
import type { LogLevel } from "./log.ts";

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
  };
}
