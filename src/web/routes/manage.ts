// The manage page (reached from the signed link in every email): topics, cadence,
// time, size, pause, live preview, and "your data".
import { paperUrl } from "../../rendering/paper-url.ts";
import { paperTitles } from "../../sources/store.ts";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { previewTopics, scheduleOf } from "../../digest/preview.ts";
import { isAppError } from "../../errors.ts";
import { ARXIV_CATEGORIES } from "../../matching/categories.ts";
import { describeTopic, formatTopic, parseTopic } from "../../matching/topics.ts";
import { describeLearning } from "../../subscriptions/feedback.ts";
import { deleteSubscriber, exportSubscriber } from "../../subscriptions/leave.ts";
import { signedUrl } from "../../subscriptions/links.ts";
import { signToken } from "../../subscriptions/tokens.ts";
import { formatDate } from "../../rendering/render-digest.ts";
import { localTime, toDay } from "../../days.ts";
import { readPreferences, readTopicLines, updatePreferences, validatePreferences, type Preferences, type PreferencesInput } from "../../subscriptions/preferences.ts";
import { MAX_PAPER_TOPICS, resolvePapers } from "../../subscriptions/seed-topics.ts";
import type { SubscriberWithTopics } from "../../subscriptions/store.ts";
import { sendPage } from "../respond.ts";
import type { WebDeps } from "../web-deps.ts";
import { authenticate, readToken } from "../authenticate.ts";
import { issueCsrf, verifyCsrf } from "../csrf.ts";

const TIMEZONES = Intl.supportedValuesOf("timeZone");
const CADENCE_LABELS = { daily: "Every day", weekdays: "Weekdays only", weekly: "Once a week" } as const;
const POPULARITY_LABELS = { niche: "Most relevant first (niche)", balanced: "Balanced", trending: "Most upvoted first (trending)" } as const;

export function registerManageRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get("/manage", async (request, reply) => {
    const subscriber = await authenticate(deps, request, "manage");
    const query = request.query as { welcome?: string; saved?: string };
    const notice = query.welcome ? "You are subscribed. Your first digest comes at the next send time — choose your topics below." : query.saved ? "Saved." : undefined;
    return renderManage(deps, request, reply, subscriber, { notice, firstVisit: query.welcome !== undefined });
  });

  app.post("/manage", async (request, reply) => {
    const subscriber = await authenticate(deps, request, "manage");
    verifyCsrf(request);
    // An HTML form sends no `categories` at all when every box is unchecked.
    const input: PreferencesInput = { categories: [], ...(request.body as PreferencesInput) };
    try {
      const saved = await updatePreferences(deps.db, subscriber, input);
      // A typed like: topic whose paper is not stored yet: fetch it now, as an upload would (what fails shows as "not fetched yet").
      const likes = saved.keywords
        .map(parseTopic)
        .filter((topic) => topic.kind === "like")
        .map((topic) => topic.query);
      if (likes.length > 0) await resolvePapers({ db: deps.db, lookupArxiv: deps.lookupArxiv }, likes, []);
    } catch (error) {
      if (!isAppError(error) || !error.fields) throw error;
      // Show the form as submitted, with every problem next to its field; nothing was saved.
      const submitted = { ...readPreferences(subscriber), ...pickStrings(input) } as Preferences;
      return renderManage(deps, request, reply, subscriber, { prefs: submitted, errors: error.fields }, 400);
    }
    return reply.redirect(`/manage?token=${encodeURIComponent(readToken(request))}&saved=1`, 303);
  });

  // The status line's button: the pause ends now, everything else stays.
  app.post("/manage/resume", async (request, reply) => {
    const subscriber = await authenticate(deps, request, "manage");
    verifyCsrf(request);
    await updatePreferences(deps.db, subscriber, { pausedUntil: null });
    return reply.redirect(`/manage?token=${encodeURIComponent(readToken(request))}&saved=1`, 303);
  });

  app.get("/manage/export", async (request, reply) => {
    const subscriber = await authenticate(deps, request, "manage");
    return reply
      .header("content-disposition", `attachment; filename="paperboy-data.json"`)
      .header("cache-control", "no-store")
      .send(await exportSubscriber(deps.db, subscriber.id));
  });

  app.post("/manage/delete", async (request, reply) => {
    const subscriber = await authenticate(deps, request, "manage");
    verifyCsrf(request);
    const body = request.body as { suppress?: string; confirm?: string };
    const suppress = body.suppress === "1";
    // A second step of its own (not a browser dialog): the first post only asks.
    if (body.confirm !== "1") {
      const csrf = issueCsrf(request, reply, deps.mail.publicUrl.startsWith("https:"));
      return sendPage(deps, reply, "confirm-delete", { title: "Delete your data?", token: readToken(request), csrf, suppress });
    }
    await deleteSubscriber(deps.db, subscriber, { suppress });
    const message = suppress
      ? "Everything we stored about you is erased. Only a one-way hash of your address is kept, so that we never email it again."
      : "Everything we stored about you is erased. You can subscribe again at any time.";
    return sendPage(deps, reply, "message", { title: "Your data is deleted", message, link: { href: "/", label: "Go to the start page" } });
  });
}

/**
 * The manage page for `subscriber`: the stored preferences, or `prefs` (a form
 * sent back with its errors); `seed` is the outcome of an upload of papers.
 */
export async function renderManage(
  deps: WebDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  subscriber: SubscriberWithTopics,
  options: { prefs?: Preferences; notice?: string; errors?: Record<string, string>; firstVisit?: boolean; seed?: unknown },
  status = 200,
) {
  const now = deps.now();
  const prefs = options.prefs ?? readPreferences(subscriber);
  const preview = await previewFor(deps, subscriber, prefs);
  return sendPage(
    deps,
    reply,
    "manage",
    {
      title: "Manage your digest",
      script: "manage.js",
      token: readToken(request),
      csrf: issueCsrf(request, reply, deps.mail.publicUrl.startsWith("https:")),
      prefs,
      active: prefs.status === "active",
      notice: options.notice,
      errors: options.errors,
      timezoneIsDefault: options.firstVisit === true && prefs.timezone === "UTC",
      categories: ARXIV_CATEGORIES.map((category) => ({ ...category, checked: prefs.categories.includes(category.id) })),
      cadences: Object.entries(CADENCE_LABELS).map(([value, label]) => ({ value, label, checked: prefs.cadence === value })),
      popularities: Object.entries(POPULARITY_LABELS).map(([value, label]) => ({ value, label, selected: prefs.popularity === value })),
      hours: Array.from({ length: 24 }, (_, hour) => ({ value: hour, label: `${String(hour).padStart(2, "0")}:00`, selected: prefs.sendHour === hour })),
      timezones: TIMEZONES,
      preview,
      status: statusOf(deps, subscriber, preview, now),
      readings: readTopicLines(prefs).map((reading) => ({ ...reading, typed: reading.field === "categories" ? `cat:${reading.typed}` : reading.typed })),
      seed: options.seed,
      papers: await describePaperTopics(deps, subscriber),
      maxPaperTopics: MAX_PAPER_TOPICS,
      learning: await describeLearning(deps.db, subscriber.id),
      unsubscribeUrl: signedUrl({ ...deps.mail, publicUrl: "" }, "/unsubscribe", "unsubscribe", subscriber, now),
      feedUrl: signedUrl({ ...deps.mail, publicUrl: "" }, "/feed.atom", "view", subscriber, now),
    },
    status,
  );
}

/** What the status line says, from the saved settings (not the form on screen). */
function statusOf(deps: WebDeps, subscriber: SubscriberWithTopics, preview: { date?: string }, now: Date) {
  const paused = subscriber.pausedUntil && toDay(subscriber.pausedUntil) >= localTime(now, subscriber.timezone).day ? formatDate(toDay(subscriber.pausedUntil)) : undefined;
  if (subscriber.status === "unsubscribed")
    return { unsubscribed: true, unsubscribeToken: signToken(deps.mail.secret, "unsubscribe", { subscriberId: subscriber.id, tokenVersion: subscriber.tokenVersion }, now) };
  if (subscriber.status !== "active") return { other: subscriber.status === "pending" ? "waiting for you to confirm by email" : subscriber.status };
  const next = preview.date ? `${formatDate(preview.date)}, after ${String(subscriber.sendHour).padStart(2, "0")}:00 ${subscriber.timezone}` : undefined;
  return { next, pausedUntil: paused };
}

/** The subscriber's `like:` topics with the paper's title when it is stored. */
async function describePaperTopics(deps: WebDeps, subscriber: SubscriberWithTopics) {
  const ids = subscriber.topics.filter((topic) => topic.kind === "like").map((topic) => topic.query);
  if (ids.length === 0) return [];
  const titles = await paperTitles(deps.db, ids);
  return ids.map((id) => ({ id, title: titles.get(id), url: paperUrl({ arxivId: id, source: "arxiv" }) }));
}

/** The preview for the preferences on screen; a form with errors previews the saved topics. */
async function previewFor(deps: WebDeps, subscriber: SubscriberWithTopics, prefs: Preferences) {
  try {
    const { topics, preferences } = validatePreferences(prefs, {});
    return await previewTopics(deps, { subscriberId: subscriber.id, topics, maxPapers: preferences.maxPapers, popularity: preferences.popularity, schedule: scheduleOf(preferences) });
  } catch {
    return previewTopics(deps, { subscriberId: subscriber.id, topics: subscriber.topics, maxPapers: subscriber.maxPapers, popularity: subscriber.popularity, schedule: scheduleOf(subscriber) });
  }
}

/** The submitted values worth echoing back into the form. */
function pickStrings(input: PreferencesInput): Partial<Preferences> {
  const lines = (value: unknown) => (Array.isArray(value) ? value.map(String) : typeof value === "string" ? value.split(/\r?\n/).filter((line) => line.trim() !== "") : undefined);
  const echo: Record<string, unknown> = {};
  for (const key of ["keywords", "authors", "exclusions", "categories"] as const) if (input[key] !== undefined) echo[key] = lines(input[key]);
  for (const key of ["cadence", "popularity", "timezone", "pausedUntil"] as const) if (input[key] !== undefined) echo[key] = input[key];
  // A value that is neither (a crafted form) keeps the saved one on screen.
  if (String(input.textOnly) === "true" || String(input.textOnly) === "false") echo.textOnly = String(input.textOnly) === "true";
  for (const key of ["sendHour", "maxPapers"] as const) if (input[key] !== undefined) echo[key] = /^\d+$/.test(String(input[key])) ? Number(input[key]) : input[key];
  return echo as Partial<Preferences>;
}
