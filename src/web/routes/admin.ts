// The operator's pages, behind PAPERBOY_ADMIN_TOKEN: a login form that starts a
// session (admin-session.ts), an overview with a chart of the last 30 days,
// subscribers (search, one subscriber whole), runs. Changes go through forms with
// CSRF tokens; reads change nothing. Off (404) while the token is unset.
import { createRequire } from "node:module";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { dailyCounts, searchSubscribers, subscriberDetail } from "../../admin/reports.ts";
import { sql } from "../../db/client.ts";
import { listRuns, type RunSummary } from "../../digest/runs.ts";
import { AppError } from "../../errors.ts";
import { formatTopic } from "../../matching/topics.ts";
import { listPopularTopics } from "../../subscriptions/store.ts";
import { endAdminSession, hasAdminSession, isAdminToken, startAdminSession } from "../admin-session.ts";
import { issueCsrf, verifyCsrf } from "../csrf.ts";
import { sendPage, wantsJson } from "../respond.ts";
import type { WebDeps } from "../web-deps.ts";
import { requireBearer } from "./operator.ts";

const STATUSES = ["pending", "active", "unsubscribed", "bounced", "complained"];
const UPLOT_DIR = path.dirname(createRequire(import.meta.url).resolve("uplot/dist/uPlot.iife.min.js"));
const UPLOT_FILES: Record<string, string> = { "uPlot.iife.min.js": "text/javascript; charset=utf-8", "uPlot.min.css": "text/css; charset=utf-8" };

/** The operator's pages share these: the session check, and what every page's menu needs. */
export type AdminGate = {
  /** Sends the login page (or 404 while off) and returns false unless the request has a session. */
  allow(request: FastifyRequest, reply: FastifyReply): Promise<boolean>;
  /** What the menu of every operator page needs (the logout form's CSRF token, whether the outbox is in use). */
  view(request: FastifyRequest, reply: FastifyReply, title: string): { title: string; csrf: string; outbox: boolean };
};

export function adminGate(deps: WebDeps): AdminGate {
  const secure = deps.mail.publicUrl.startsWith("https:");
  return {
    async allow(request, reply) {
      if (!deps.adminToken) throw new AppError("NOT_FOUND", "The operator pages are off: set PAPERBOY_ADMIN_TOKEN to turn them on.");
      if (hasAdminSession(request, deps.mail.secret, deps.adminToken, deps.now())) return true;
      const next = request.url.startsWith("/admin") || request.url.startsWith("/outbox") ? request.url : "/admin";
      await sendPage(deps, reply, "admin-login", { title: "Operator login", csrf: issueCsrf(request, reply, secure), next, outbox: Boolean(deps.outboxDir) }, 401);
      return false;
    },
    view(request, reply, title) {
      return { title, csrf: issueCsrf(request, reply, secure), outbox: Boolean(deps.outboxDir) };
    },
  };
}

export function registerAdminRoutes(app: FastifyInstance, deps: WebDeps, gate: AdminGate): void {
  const secure = deps.mail.publicUrl.startsWith("https:");

  app.get("/admin/assets/:name", async (request, reply) => {
    const name = (request.params as { name: string }).name;
    const type = UPLOT_FILES[name];
    if (!type) throw new AppError("NOT_FOUND", "There is no such file.");
    return reply
      .type(type)
      .header("cache-control", "public, max-age=86400")
      .send(await readFile(path.join(UPLOT_DIR, name)));
  });

  app.get("/admin/login", async (request, reply) => {
    if (!(await gate.allow(request, reply))) return reply;
    return reply.redirect("/admin", 303);
  });

  app.post("/admin/login", { config: { rateLimit: { max: 10, timeWindow: 60_000 } } }, async (request, reply) => {
    if (!deps.adminToken) throw new AppError("NOT_FOUND", "The operator pages are off: set PAPERBOY_ADMIN_TOKEN to turn them on.");
    verifyCsrf(request);
    const body = (request.body ?? {}) as { token?: unknown; next?: unknown };
    const next = typeof body.next === "string" && /^\/(admin|outbox)(\/|\?|$)/.test(body.next) ? body.next : "/admin";
    if (typeof body.token !== "string" || !isAdminToken(body.token, deps.adminToken)) {
      deps.log.warn(`admin login refused from ${request.ip}`);
      return sendPage(deps, reply, "admin-login", { title: "Operator login", csrf: issueCsrf(request, reply, secure), next, error: "That is not the admin token." }, 401);
    }
    startAdminSession(reply, deps.mail.secret, deps.adminToken, deps.now(), secure);
    return reply.redirect(next, 303);
  });

  app.post("/admin/logout", async (request, reply) => {
    verifyCsrf(request);
    endAdminSession(reply, secure);
    return reply.redirect("/admin/login", 303);
  });

  app.get("/admin", async (request, reply) => {
    if (!(await gate.allow(request, reply))) return reply;
    const now = deps.now();
    const [statuses, queued, lastRun, days, topics] = await Promise.all([
      sql<{ status: string; n: number }>(deps.db, `SELECT status::text AS status, count(*)::int AS n FROM "Subscriber" GROUP BY status`, []),
      sql<{ n: number }>(deps.db, `SELECT count(*)::int AS n FROM "Delivery" WHERE status = 'queued'`, []),
      sql<{ at: Date }>(deps.db, `SELECT "startedAt" AT TIME ZONE 'UTC' AS at FROM "Run" WHERE kind = 'tick' ORDER BY id DESC LIMIT 1`, []),
      dailyCounts(deps.db, now),
      listPopularTopics(deps.db, 15),
    ]);
    const count = (status: string) => statuses.find((row) => row.status === status)?.n ?? 0;
    const chart = {
      x: days.map((day) => Date.parse(`${day.day}T00:00:00Z`) / 1000),
      y: [days.map((day) => day.sent), days.map((day) => day.failed), days.map((day) => day.bounced), days.map((day) => day.unsubscribed), days.map((day) => day.subscribed)],
    };
    return sendPage(deps, reply, "admin-home", {
      ...gate.view(request, reply, "Overview"),
      totals: [
        { label: "Active subscribers", value: count("active") },
        { label: "Waiting to confirm", value: count("pending") },
        { label: "Unsubscribed", value: count("unsubscribed") },
        { label: "Bounced or complained", value: count("bounced") + count("complained") },
        { label: "Digests waiting for a worker", value: queued[0]?.n ?? 0 },
        { label: "Sent in 30 days", value: days.reduce((sum, day) => sum + day.sent, 0) },
      ],
      lastTick: lastRun[0] ? `${lastRun[0].at.toISOString().slice(0, 16).replace("T", " ")} UTC` : undefined,
      mailer: deps.mailer.description,
      days,
      // Safe inside <script type="application/json">: no "<" can close it.
      chartJson: JSON.stringify(chart).replaceAll("<", "\\u003c"),
      topics: topics.map((row) => ({ ...row, query: encodeURIComponent(row.topic.replace(/^(author|cat):|^-|"/g, "")) })),
    });
  });

  app.get("/admin/subscribers", async (request, reply) => {
    if (!(await gate.allow(request, reply))) return reply;
    const query = request.query as { q?: string; status?: string; topic?: string; page?: string };
    const search = { query: query.q ?? "", status: STATUSES.includes(query.status ?? "") ? query.status : "", topic: query.topic ?? "", page: Number(query.page) || 1 };
    const found = await searchSubscribers(deps.db, search);
    const link = (page: number) => `/admin/subscribers?${new URLSearchParams({ q: search.query, status: search.status ?? "", topic: search.topic, page: String(page) })}`;
    return sendPage(deps, reply, "admin-subscribers", {
      ...gate.view(request, reply, "Subscribers"),
      search,
      statuses: STATUSES.map((value) => ({ value, selected: value === search.status })),
      total: found.total,
      single: found.total === 1,
      page: found.page,
      pages: found.pages,
      rows: found.rows.map((row) => ({ ...row, topics: row.topics.join(", "), lastSent: row.lastSentAt ? day(row.lastSentAt) : undefined, since: day(row.createdAt) })),
      previous: found.page > 1 ? link(found.page - 1) : undefined,
      next: found.page < found.pages ? link(found.page + 1) : undefined,
    });
  });

  app.get("/admin/subscribers/:id", async (request, reply) => {
    if (!(await gate.allow(request, reply))) return reply;
    const id = Number((request.params as { id: string }).id);
    const detail = Number.isInteger(id) && id > 0 ? await subscriberDetail(deps.db, id) : undefined;
    if (!detail) throw new AppError("NOT_FOUND", "There is no such subscriber.");
    const s = detail.subscriber;
    return sendPage(deps, reply, "admin-subscriber", {
      ...gate.view(request, reply, s.email),
      s,
      paused: s.pausedUntil ? day(s.pausedUntil) : undefined,
      topics: s.topics.map(formatTopic).join(", "),
      created: day(s.createdAt),
      confirmed: s.confirmedAt ? day(s.confirmedAt) : undefined,
      unsubscribed: s.unsubscribedAt ? day(s.unsubscribedAt) : undefined,
      suppression: detail.suppression ? { reason: detail.suppression.reason, since: day(detail.suppression.since) } : undefined,
      deliveries: detail.deliveries.map((delivery) => ({ ...delivery, sent: delivery.sentAt ? time(delivery.sentAt) : "" })),
      feedback: detail.feedback.map((vote) => ({ ...vote, vote: vote.vote > 0 ? "👍 more like this" : "👎 fewer like this", at: time(vote.at) })),
    });
  });

  app.get("/admin/runs", async (request, reply) => {
    const last = Math.min(100, Math.max(1, Number((request.query as { last?: string }).last ?? 20) || 20));
    // A script with the bearer token gets JSON; a browser, the page.
    if (request.headers.authorization !== undefined || wantsJson(request)) {
      requireBearer(request, deps.adminToken, "PAPERBOY_ADMIN_TOKEN");
      return { runs: await listRuns(deps.db, last) };
    }
    if (!(await gate.allow(request, reply))) return reply;
    const runs = await listRuns(deps.db, Math.max(last, 50), deps.now());
    return sendPage(deps, reply, "admin-runs", { ...gate.view(request, reply, "Runs"), runs: runs.map(describeRun) });
  });
}

function describeRun(run: RunSummary) {
  const report = (run.report ?? {}) as { due?: number; ingest?: Array<{ source: string; status: string; created?: number; updated?: number; error?: string }> };
  return {
    id: run.id,
    kind: run.kind,
    dryRun: run.dryRun,
    started: time(run.startedAt),
    state: run.state,
    ingest: (report.ingest ?? []).map((source) => `${source.source}: ${source.status === "ok" ? `${source.created ?? 0} new, ${source.updated ?? 0} updated` : source.status}`).join("; "),
    due: report.due ?? "",
    sent: run.deliveries.sent,
    failed: run.deliveries.failed,
    skipped: run.deliveries.skipped,
    duplicates: run.deliveries.possibleDuplicates,
    duration: run.durationMs === null ? "" : `${(run.durationMs / 1000).toFixed(1)} s`,
  };
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function time(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
