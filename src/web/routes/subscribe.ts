// Landing page, subscribe (form and JSON) and the confirmation link.
import { newestListing } from "../../sources/store.ts";
import type { FastifyInstance } from "fastify";
import { isAppError } from "../../errors.ts";
import { signedUrl } from "../../subscriptions/links.ts";
import { confirmSubscription } from "../../subscriptions/subscribe.ts";
import type { SubscribeQueue } from "../../subscriptions/subscribe-queue.ts";
import { issueCsrf, verifyCsrf } from "../csrf.ts";
import { readToken } from "../authenticate.ts";
import { sendPage, wantsJson } from "../respond.ts";
import type { WebDeps } from "../web-deps.ts";

const DEFAULT_SUBSCRIBE_LIMIT = { max: 10, windowMs: 60 * 60 * 1000 };

type SubscribeBody = { email?: unknown; topics?: unknown; timezone?: unknown; _csrf?: unknown };

export function registerSubscribeRoutes(app: FastifyInstance, deps: WebDeps, subscriptions: SubscribeQueue): void {
  const secure = deps.mail.publicUrl.startsWith("https:");

  app.get("/", async (request, reply) => {
    return sendPage(deps, reply, "home", { title: "Daily research papers in your inbox", script: "subscribe.js", csrf: issueCsrf(request, reply, secure), values: {}, ...(await loadSample(deps)) });
  });

  const limit = deps.subscribeLimit ?? DEFAULT_SUBSCRIBE_LIMIT;
  app.post("/subscribe", { config: { rateLimit: { max: limit.max, timeWindow: limit.windowMs } } }, async (request, reply) => {
    const body = (request.body ?? {}) as SubscribeBody;
    const json = wantsJson(request);
    if (!json) verifyCsrf(request);
    const email = typeof body.email === "string" ? body.email : "";
    const topics = toLines(body.topics);
    try {
      await subscriptions.submit({ email, topics, source: json ? "api" : "web", ip: request.ip, timezone: typeof body.timezone === "string" ? body.timezone : undefined });
    } catch (error) {
      if (json || !isAppError(error) || !error.field) throw error;
      // Only errors about what was typed get here; the answer for a valid address never depends on its state.
      const errors = { [error.field === "topic" ? "topics" : error.field]: error.message };
      const view = { title: "Subscribe", script: "subscribe.js", csrf: issueCsrf(request, reply, secure), values: { email, topics: topics.join("\n") }, errors, ...(await loadSample(deps)) };
      return sendPage(deps, reply, "home", view, 400);
    }
    if (json) return reply.code(202).send({ status: "pending", message: "If this address can receive email, a confirmation link is on its way." });
    // Post/redirect/get: reloading the answer does not post (and mail) again.
    return reply.redirect("/check-inbox", 303);
  });

  app.get("/check-inbox", async (_request, reply) => sendPage(deps, reply, "check-inbox", { title: "Check your inbox", from: deps.mail.from }));

  app.get("/confirm", async (request, reply) => {
    const subscriber = await confirmSubscription(deps.db, deps.mail.secret, readToken(request), deps.now());
    return reply.redirect(`${signedUrl({ ...deps.mail, publicUrl: "" }, "/manage", "manage", subscriber, deps.now())}&welcome=1`, 303);
  });
}

/** Topics from a textarea (one per line) or a JSON array. */
export function toLines(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === "string" ? value.split(/\r?\n/) : [];
  return items
    .filter((item): item is string => typeof item === "string")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** Whether there is a listing to show in the landing page's sample digest (GET /sample renders it), and its day. */
async function loadSample(deps: WebDeps) {
  const listing = await newestListing(deps.db, 1);
  return listing ? { sampleDate: listing.day, sample: listing.papers } : { sample: [] };
}
