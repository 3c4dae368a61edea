// GET /metrics for Prometheus, behind PAPERBOY_ADMIN_TOKEN (a bearer token, as
// Prometheus sends `authorization: credentials`): this process's counters (see
// metrics.ts) and, read from the database at each scrape, the installation's
// state whoever did the work — every worker machine's sends are in the ledger.
import type { FastifyInstance } from "fastify";
import { Gauge, Registry } from "prom-client";
import { sql, type Db } from "../../db/client.ts";
import { registry } from "../../metrics.ts";
import type { WebDeps } from "../web-deps.ts";
import { requireBearer } from "./operator.ts";

export function registerMetricsRoutes(app: FastifyInstance, deps: Pick<WebDeps, "db" | "now" | "adminToken">): void {
  const installation = installationMetrics(deps.db, deps.now);
  app.get("/metrics", async (request, reply) => {
    requireBearer(request, deps.adminToken, "PAPERBOY_ADMIN_TOKEN");
    const merged = Registry.merge([registry, installation]);
    return reply
      .header("content-type", merged.contentType)
      .header("cache-control", "no-store")
      .send(await merged.metrics());
  });
}

/** Gauges read from the database when scraped: ledger rows and subscribers by status, the queue's depth, the last tick's age. */
function installationMetrics(db: Db, now: () => Date): Registry {
  const own = new Registry();
  new Gauge({
    name: "paperboy_ledger_rows",
    help: "Delivery ledger rows by status (queued: waiting for a worker; sending: claimed; failed: given up or waiting for its retry)",
    labelNames: ["status"] as const,
    registers: [own],
    async collect() {
      this.reset();
      for (const row of await sql<{ status: string; n: number }>(db, `SELECT status::text AS status, count(*)::int AS n FROM "Delivery" GROUP BY status`, [])) this.set({ status: row.status }, row.n);
    },
  });
  new Gauge({
    name: "paperboy_queue_depth",
    help: "Digests queued for a worker and not claimed yet",
    registers: [own],
    async collect() {
      const [row] = await sql<{ n: number }>(db, `SELECT count(*)::int AS n FROM "Delivery" WHERE status = 'queued'`, []);
      this.set(row?.n ?? 0);
    },
  });
  new Gauge({
    name: "paperboy_subscribers",
    help: "Subscribers by status",
    labelNames: ["status"] as const,
    registers: [own],
    async collect() {
      this.reset();
      for (const row of await sql<{ status: string; n: number }>(db, `SELECT status::text AS status, count(*)::int AS n FROM "Subscriber" GROUP BY status`, []))
        this.set({ status: row.status }, row.n);
    },
  });
  new Gauge({
    name: "paperboy_last_tick_age_seconds",
    help: "Seconds since the scheduler last ticked (any process); absent before the first tick",
    registers: [own],
    async collect() {
      this.reset();
      const [row] = await sql<{ at: Date }>(db, `SELECT "startedAt" AT TIME ZONE 'UTC' AS at FROM "Run" WHERE kind = 'tick' ORDER BY id DESC LIMIT 1`, []);
      if (row) this.set(Math.max(0, (now().getTime() - row.at.getTime()) / 1000));
    },
  });
  return own;
}
