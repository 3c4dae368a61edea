// The web app: subscribe, confirm, manage, leave, archive, and the JSON API.
// createApp builds it and never listens; `paperboy serve` does.
import formbody from "@fastify/formbody";
import helmet from "@fastify/helmet";
import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { TrustProxy } from "../config.ts";
import { createOutageReporter, isDatabaseUnreachable } from "../db/unreachable.ts";
import { AppError, isAppError, type ErrorCode } from "../errors.ts";
import { escapeControl, maskAddresses } from "../log.ts";
import { sendPage, wantsJson } from "./respond.ts";
import type { WebDeps } from "./web-deps.ts";
import { startSubscribeQueue } from "../subscriptions/subscribe-queue.ts";
import { registerApiRoutes } from "./routes/api.ts";
import { registerArchiveRoutes, registerSampleRoute, registerThumbnailRoute } from "./routes/archive.ts";
import { registerFeedbackRoutes } from "./routes/feedback.ts";
import { registerHealthRoutes } from "./routes/health.ts";
import { registerMetricsRoutes } from "./routes/metrics.ts";
import { adminGate, registerAdminRoutes } from "./routes/admin.ts";
import { registerOutboxRoutes } from "./routes/outbox.ts";
import { registerOperatorRoutes } from "./routes/operator.ts";
import { registerLeaveRoutes } from "./routes/leave.ts";
import { registerManageRoutes } from "./routes/manage.ts";
import { registerSeedRoute } from "./routes/manage-seed.ts";
import { registerSubscribeRoutes } from "./routes/subscribe.ts";
import { readToken } from "./authenticate.ts";
import { issueCsrf } from "./csrf.ts";

const STATUS: Partial<Record<ErrorCode, number>> = {
  INVALID_EMAIL: 400,
  INVALID_TOPIC: 400,
  INVALID_DATE: 400,
  INVALID_ARGUMENT: 400,
  TOKEN_INVALID: 400,
  TOKEN_EXPIRED: 400,
  NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  CSRF_INVALID: 403,
  RATE_LIMITED: 429,
  UNSUPPORTED_MEDIA_TYPE: 415,
  DATABASE_UNAVAILABLE: 503,
};

// Seconds a visitor (or a client honouring Retry-After) should wait while the database is down.
const RETRY_AFTER_S = 30;

/**
 * Builds the app with every route and the security headers; does not listen.
 * Starts processing stored subscribe requests (subscribe-queue.ts) until app.close().
 */
export async function createApp(deps: WebDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, trustProxy: toFastifyTrust(deps.trustProxy ?? false), bodyLimit: 64 * 1024 });
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  await app.register(helmet, {
    // Strict-Transport-Security only where the instance is reached over https: over plain http it would be ignored at best.
    hsts: deps.mail.publicUrl.startsWith("https:") ? { maxAge: 180 * 24 * 60 * 60 } : false,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => new AppError("RATE_LIMITED", `Too many requests from your address; try again in ${context.after}.`),
  });

  // Pages and answers reached with a signed link show personal data: no cache may keep them.
  app.addHook("onSend", async (request, reply) => {
    if (readToken(request) !== "" || (["/api/", "/manage", "/admin", "/outbox"].some((prefix) => request.url.startsWith(prefix)) && !request.url.startsWith("/admin/assets/")))
      reply.header("cache-control", "no-store");
  });
  // One line per request: method, path without its signed token or any address, status, time. No client
  // address: the instance keeps none of its readers' (consent stores a hash), and the log should not either.
  app.addHook("onResponse", async (request, reply) => {
    const path = redactedUrl(request.url);
    const quiet = path === "/healthz" || path === "/metrics" || path.startsWith("/assets/");
    (quiet ? deps.log.debug : deps.log.info)(`${request.method} ${path} ${reply.statusCode} ${Math.round(reply.elapsedTime)} ms`, {
      method: request.method,
      path,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    });
  });
  const reportOutage = createOutageReporter(deps.log, "web");
  app.setErrorHandler((error: unknown, request, reply) => {
    if (isDatabaseUnreachable(error)) reportOutage(error);
    return sendError(deps, request, reply, error);
  });
  app.setNotFoundHandler((request, reply) => sendError(deps, request, reply, new AppError("NOT_FOUND", "There is no page at this address.")));

  // Browsers ask for /favicon.ico where a page names no icon (a JSON answer, a PDF): the same icon.
  app.get("/favicon.ico", async (_request, reply) => reply.redirect("/assets/favicon.svg", 301));
  app.get("/assets/:name", async (request, reply) => {
    const asset = deps.templates.assets.get((request.params as { name: string }).name);
    if (!asset) throw new AppError("NOT_FOUND", "There is no such file.");
    return reply.header("content-type", asset.contentType).header("cache-control", "public, max-age=3600").send(asset.body);
  });
  registerHealthRoutes(app, deps);

  // Subscribe requests are answered at once and processed after the answer, so its timing tells nothing.
  const subscriptions = startSubscribeQueue(deps);
  app.addHook("onClose", async () => subscriptions.stop());
  registerSubscribeRoutes(app, deps, subscriptions);
  registerManageRoutes(app, deps);
  await registerSeedRoute(app, deps);
  registerLeaveRoutes(app, deps, subscriptions);
  registerArchiveRoutes(app, deps);
  registerSampleRoute(app, deps);
  registerThumbnailRoute(app, deps);
  registerApiRoutes(app, deps, subscriptions);
  registerOperatorRoutes(app, deps);
  registerMetricsRoutes(app, deps);
  const gate = adminGate(deps);
  registerAdminRoutes(app, deps, gate);
  registerOutboxRoutes(app, deps, gate);
  registerFeedbackRoutes(app, deps);
  return app;
}

/** A request URL fit for the log: query values that are tokens or could be addresses replaced, any address in the path masked. */
export function redactedUrl(url: string): string {
  const at = url.indexOf("?");
  // Segment by segment: "/" may be part of an address, so a whole path would be masked from its start.
  const path = escapeControl(at < 0 ? url : url.slice(0, at))
    .split("/")
    .map(maskAddresses)
    .join("/");
  if (at < 0) return path;
  const query = new URLSearchParams(url.slice(at + 1));
  const kept = [...query.keys()].map((key) => `${encodeURIComponent(key)}=${SAFE_QUERY_KEYS.has(key) ? encodeURIComponent(query.get(key) ?? "") : "…"}`);
  return `${path}?${[...new Set(kept)].join("&")}`;
}

/** Query parameters whose values are neither secret nor personal (everything else, tokens and addresses included, is left out). */
const SAFE_QUERY_KEYS = new Set(["vote", "paper", "page", "date", "last", "suppress", "format"]);

/** n hops: the n proxies nearest to us are believed, so the client is the (n+1)-th address from the right. */
function toFastifyTrust(trust: TrustProxy): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof trust === "number" ? (_address, hop) => hop < trust : trust;
}

/** The one place errors become responses: known errors say what was wrong, others never show their message. */
function sendError(deps: WebDeps, request: FastifyRequest, reply: FastifyReply, thrown: unknown) {
  const error = toAppError(thrown);
  const status = error ? (STATUS[error.code] ?? 500) : 500;
  if (status === 500) deps.log.error(`${request.method} ${request.url.split("?")[0]} failed: ${(thrown as Error)?.stack ?? String(thrown)}`);
  if (status === 503) reply.header("retry-after", String(RETRY_AFTER_S));
  const code = error && status !== 500 ? error.code : "INTERNAL";
  const message = error && status !== 500 ? error.message : "Something went wrong on our side. Please try again later.";
  if (wantsJson(request)) {
    return reply.code(status).send({ error: { code, message, ...(error?.field ? { field: error.field } : {}), ...(error?.fields ? { fields: error.fields } : {}) } });
  }
  if (error && (error.code === "TOKEN_EXPIRED" || (error.code === "TOKEN_INVALID" && request.url.startsWith("/manage")))) {
    // An old or revoked settings link: offer to email a new one (the subscribe form mails an active address its manage link).
    const title = error.code === "TOKEN_EXPIRED" ? "This link has expired" : "This link does not work any more";
    const view = { title, message: `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}.`, csrf: issueCsrf(request, reply, deps.mail.publicUrl.startsWith("https:")) };
    return sendPage(deps, reply, "link-expired", view, status);
  }
  const titles: Record<number, string> = { 400: "That did not work", 403: "Please reload the page", 404: "Not found", 429: "Slow down", 500: "Something went wrong", 503: "Temporarily unavailable" };
  return sendPage(deps, reply, "message", { title: titles[status] ?? "That did not work", message, link: { href: "/", label: "Go to the start page" } }, status);
}

function toAppError(thrown: unknown): AppError | undefined {
  if (isDatabaseUnreachable(thrown)) {
    return new AppError("DATABASE_UNAVAILABLE", "The service is temporarily unavailable (its database cannot be reached). Please try again in a minute.", { permanent: false, cause: thrown });
  }
  if (isAppError(thrown)) return thrown;
  const statusCode = (thrown as { statusCode?: number })?.statusCode;
  if (statusCode === 429) return new AppError("RATE_LIMITED", "Too many requests from your address; try again later.");
  // fastify's own client errors (malformed JSON, body too large, unsupported media type)
  if (typeof statusCode === "number" && statusCode >= 400 && statusCode < 500) {
    return new AppError("INVALID_ARGUMENT", `The request was not understood: ${(thrown as Error).message}`);
  }
  return undefined;
}
