// Prometheus metrics (prom-client): what this process did, counted where it
// happens (sends by outcome, SMTP replies by class, tick durations, papers
// ingested by source), and Node's own process metrics. The web app's /metrics
// adds the database's view of the whole installation (see web/routes/metrics.ts).
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: "paperboy_" });

export const sends = new Counter({
  name: "paperboy_sends_total",
  help: "Digests this process handled, by outcome: sent (the server accepted it), failed (retried or not, see the ledger), skipped (not to be sent), deferred (held back by the circuit breaker)",
  labelNames: ["outcome"] as const,
  registers: [registry],
});

export const smtpReplies = new Counter({
  name: "paperboy_smtp_replies_total",
  help: "Replies of the mail server to this process's sends, by class: accepted, or the error class (RECIPIENT_REJECTED, MESSAGE_REJECTED, RELAY_REJECTED, SMTP_TEMPORARY, SMTP_UNAVAILABLE, SMTP_OUTCOME_UNKNOWN, …)",
  labelNames: ["class"] as const,
  registers: [registry],
});

export const tickDuration = new Histogram({
  name: "paperboy_tick_duration_seconds",
  help: "How long each scheduler tick of this process took (ingest and enqueueing)",
  buckets: [0.1, 0.5, 1, 2, 5, 15, 60, 300],
  registers: [registry],
});

export const papersIngested = new Counter({
  name: "paperboy_papers_ingested_total",
  help: "Papers this process ingested, by source and result: new, updated, rejected",
  labelNames: ["source", "result"] as const,
  registers: [registry],
});
