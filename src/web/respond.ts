// How routes answer: HTML pages with the layout, or JSON for API clients.
import type { FastifyReply, FastifyRequest } from "fastify";
import { renderPage } from "../rendering/templates.ts";
import type { WebDeps } from "./web-deps.ts";

/** Whether the client wants JSON: API paths and JSON requests. */
export function wantsJson(request: FastifyRequest): boolean {
  return request.url.startsWith("/api/") || mediaType(request) === "application/json";
}

/** The request body's media type, without parameters: `a/b; charset=application/json` is `a/b`. */
export function mediaType(request: FastifyRequest): string {
  return (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
}

/** Sends an HTML page with the layout. */
export function sendPage(deps: Pick<WebDeps, "templates">, reply: FastifyReply, name: string, view: { title: string } & Record<string, unknown>, status = 200) {
  return reply
    .code(status)
    .type("text/html; charset=utf-8")
    .send(renderPage(deps.templates, name, view));
}
