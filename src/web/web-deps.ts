// What the web app is built from (see createApp in app.ts).
import type { TrustProxy } from "../config.ts";
import type { RunDeps } from "../digest/run-deps.ts";
import type { SeedDeps } from "../subscriptions/seed-topics.ts";

export type WebDeps = Pick<RunDeps, "db" | "mailer" | "templates" | "mail" | "now" | "log" | "lookbackDays"> & {
  /** Take client addresses from X-Forwarded-For (behind a reverse proxy). */
  trustProxy?: TrustProxy;
  /** Subscribe requests allowed per client address per window. */
  subscribeLimit?: { max: number; windowMs: number };
  /** Shared secret for POST /webhooks/bounce; unset disables the webhook. */
  webhookSecret?: string;
  /** Bearer token for GET /admin/runs; unset disables it. */
  adminToken?: string;
  /** How long GET /healthz waits for the database (default 2 s). */
  healthTimeoutMs?: number;
  /** Fetches papers by arXiv id for seeded topics; unset when no arXiv source is configured. */
  lookupArxiv?: SeedDeps["lookupArxiv"];
};
