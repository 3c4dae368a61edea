// The JSON API: the same operations as the pages, for scripts and other front
// ends. Tokens come as ?token= or `Authorization: Bearer`. Errors are
// { error: { code, message, field?, fields? } } (see app.ts).
import type { FastifyInstance } from "fastify";
import { previewTopics, scheduleOf } from "../../digest/preview.ts";
import { deleteSubscriber, exportSubscriber, unsubscribe } from "../../subscriptions/leave.ts";
import { readPreferences, readTopicLines, updatePreferences, validatePreferences, type PreferencesInput } from "../../subscriptions/preferences.ts";
import type { SubscribeQueue } from "../../subscriptions/subscribe-queue.ts";
import { AppError } from "../../errors.ts";
import { mediaType } from "../respond.ts";
import type { WebDeps } from "../web-deps.ts";
import { authenticate } from "../authenticate.ts";
import { toLines } from "./subscribe.ts";

export function registerApiRoutes(app: FastifyInstance, deps: WebDeps, subscriptions: SubscribeQueue): void {
  const limit = deps.subscribeLimit ?? { max: 10, windowMs: 60 * 60 * 1000 };

  app.post("/api/subscribe", { config: { rateLimit: { max: limit.max, timeWindow: limit.windowMs } } }, async (request, reply) => {
    // JSON only: a cross-site HTML form can post urlencoded or multipart bodies, never JSON without a CORS preflight.
    if (mediaType(request) !== "application/json") throw new AppError("UNSUPPORTED_MEDIA_TYPE", "send the request as JSON (content-type: application/json)");
    const body = (request.body ?? {}) as { email?: unknown; topics?: unknown };
    await subscriptions.submit({ email: typeof body.email === "string" ? body.email : "", topics: toLines(body.topics), source: "api", ip: request.ip });
    return reply.code(202).send({ status: "pending", message: "If this address can receive email, a confirmation link is on its way." });
  });

  app.get("/api/preferences", async (request) => readPreferences(await authenticate(deps, request, "manage")));

  app.put("/api/preferences", async (request) => {
    const subscriber = await authenticate(deps, request, "manage");
    return updatePreferences(deps.db, subscriber, (request.body ?? {}) as PreferencesInput);
  });

  app.post("/api/preview", async (request) => {
    const subscriber = await authenticate(deps, request, "manage");
    const { topics, preferences } = validatePreferences(readPreferences(subscriber), (request.body ?? {}) as PreferencesInput);
    return previewTopics(deps, { subscriberId: subscriber.id, topics, maxPapers: preferences.maxPapers, popularity: preferences.popularity, schedule: scheduleOf(preferences) });
  });

  // Each topic line as typed and how it is read, or why it cannot be; nothing is saved.
  app.post("/api/topics/read", async (request) => {
    await authenticate(deps, request, "manage");
    return { readings: readTopicLines((request.body ?? {}) as PreferencesInput) };
  });

  app.post("/api/unsubscribe", async (request) => {
    // Any version: an unsubscribe link works from every email ever sent (see leave.ts).
    const subscriber = await authenticate(deps, request, "unsubscribe", { anyVersion: true });
    await unsubscribe(deps.db, subscriber.id, deps.now());
    return { status: "unsubscribed" };
  });

  app.get("/api/export", async (request) => exportSubscriber(deps.db, (await authenticate(deps, request, "manage")).id));

  app.delete("/api/subscriber", async (request) => {
    const subscriber = await authenticate(deps, request, "manage");
    const suppress = (request.query as { suppress?: string }).suppress === "true";
    await deleteSubscriber(deps.db, subscriber, { suppress });
    return { status: "deleted", suppressed: suppress };
  });
}
