// What the web app is built from (see createApp in app.ts).
import type { TrustProxy } from "../config.ts";
import type { SubscribeDeps } from "../subscriptions/subscribe.ts";
import type { SeedDeps } from "../subscriptions/seed-topics.ts";

/** What subscribing needs (the database, the mailer for confirmation emails, templates, mail settings, log, clock), and: */
export type WebDeps = SubscribeDeps & {
  /** PAPERBOY_LOOKBACK_DAYS, for the previews. */
  lookbackDays: number;
  /** Take client addresses from X-Forwarded-For (behind a reverse proxy). */
  trustProxy?: TrustProxy;
  /** Subscribe requests allowed per client address per window. */
  subscribeLimit?: { max: number; windowMs: number };
  /** Shared secret for POST /webhooks/bounce; unset disables the webhook. */
  webhookSecret?: string;
  /** The operator's token: the admin pages' login, GET /admin/runs and /metrics as a bearer token; unset turns them off. */
  adminToken?: string;
  /** The outbox mailer's folder, when it is the mailer: /outbox shows its messages. */
  outboxDir?: string;
  /** How long GET /healthz waits for the database (default 2 s). */
  healthTimeoutMs?: number;
  /** Fetches papers by arXiv id for seeded topics; unset when no arXiv source is configured. */
  lookupArxiv?: SeedDeps["lookupArxiv"];
};
