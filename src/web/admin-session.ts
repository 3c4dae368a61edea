// The operator's browser session: after the admin token is typed once on
// /admin/login, a cookie holding an expiry and an HMAC of it (keyed with
// PAPERBOY_SECRET, bound to the admin token, so changing the token ends every
// session). HttpOnly, SameSite=Strict, Secure over https; nothing is stored.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

const COOKIE = "pb_admin";
/** A session lasts a working day. */
export const SESSION_MS = 8 * 60 * 60 * 1000;

/** Whether `typed` is the admin token (constant time). */
export function isAdminToken(typed: string, adminToken: string): boolean {
  const given = Buffer.from(typed);
  const expected = Buffer.from(adminToken);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Starts a session: sets the cookie. */
export function startAdminSession(reply: FastifyReply, secret: string, adminToken: string, now: Date, secure: boolean): void {
  const expires = now.getTime() + SESSION_MS;
  reply.header("set-cookie", `${COOKIE}=${expires}.${mac(secret, adminToken, expires)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}${secure ? "; Secure" : ""}`);
}

/** Ends the session: clears the cookie. */
export function endAdminSession(reply: FastifyReply, secure: boolean): void {
  reply.header("set-cookie", `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? "; Secure" : ""}`);
}

/** Whether the request carries a live session for this admin token. */
export function hasAdminSession(request: FastifyRequest, secret: string, adminToken: string, now: Date): boolean {
  const value = readCookie(request, COOKIE) ?? "";
  const match = /^(\d{13})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!match) return false;
  const expires = Number(match[1]);
  if (expires <= now.getTime()) return false;
  const expected = Buffer.from(mac(secret, adminToken, expires));
  const given = Buffer.from(match[2]!);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function mac(secret: string, adminToken: string, expires: number): string {
  const token = createHash("sha256").update(adminToken).digest("hex");
  return createHmac("sha256", secret).update(`admin-session|${expires}|${token}`).digest("base64url");
}

function readCookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return rest.join("=");
  }
  return undefined;
}
