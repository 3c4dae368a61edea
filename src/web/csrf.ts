// CSRF protection for the HTML forms that change something: a random value in a
// SameSite=Strict cookie that the form must repeat in a hidden field (double submit).
// The RFC 8058 one-click endpoint and the JSON API do not use it: the first must
// work without cookies, the second only takes application/json, which a foreign
// page cannot send without a CORS preflight that we never allow.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "../errors.ts";

const COOKIE = "pb_csrf";
const VALUE = /^[A-Za-z0-9_-]{32}$/;

/** The token to put in the form's `_csrf` field; sets the cookie when the visitor has none. */
export function issueCsrf(request: FastifyRequest, reply: FastifyReply, secure: boolean): string {
  const existing = readCookie(request, COOKIE);
  if (existing && VALUE.test(existing)) return existing;
  const value = randomBytes(24).toString("base64url");
  reply.header("set-cookie", `${COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=86400${secure ? "; Secure" : ""}`);
  return value;
}

/** Throws CSRF_INVALID unless the form's `_csrf` matches the cookie. */
export function verifyCsrf(request: FastifyRequest): void {
  const cookie = readCookie(request, COOKIE) ?? "";
  const field = (request.body as { _csrf?: unknown } | undefined)?._csrf;
  const sent = typeof field === "string" ? field : "";
  const ok = VALUE.test(cookie) && sent.length === cookie.length && timingSafeEqual(Buffer.from(sent), Buffer.from(cookie));
  if (!ok) throw new AppError("CSRF_INVALID", "This form has expired or was sent from another site. Reload the page and try again.");
}

function readCookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return rest.join("=");
  }
  return undefined;
}
