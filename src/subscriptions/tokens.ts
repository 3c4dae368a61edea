// Signed links: HMAC-SHA256 over (purpose, subscriber id, token version, expiry)
// keyed by PAPERBOY_SECRET. Bumping a subscriber's tokenVersion revokes every link.
import { createHmac, timingSafeEqual } from "node:crypto";
import { AppError } from "../errors.ts";

export type TokenPurpose = "confirm" | "manage" | "unsubscribe" | "feedback" | "view";

export type TokenClaims = { subscriberId: number; tokenVersion: number };

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * How long each kind of link works. Manage links read and change personal data, so
 * they expire (every digest carries a fresh one; an expired one offers to email a
 * new one). Unsubscribe links never expire: the law wants ≥ 30 days and the
 * bulk-sender rules ≥ 60. View links never expire because the personal Atom feed
 * is one; like every link they die when the subscriber's tokenVersion is bumped.
 */
export const TOKEN_LIFETIME_MS: Record<TokenPurpose, number | undefined> = {
  confirm: 7 * DAY_MS,
  manage: 30 * DAY_MS,
  unsubscribe: undefined,
  feedback: 60 * DAY_MS,
  view: undefined,
};

/** Creates a URL-safe token: `<id>.<version>.<expiry seconds or 0>.<signature>`. */
export function signToken(secret: string, purpose: TokenPurpose, claims: TokenClaims, now: Date): string {
  const lifetime = TOKEN_LIFETIME_MS[purpose];
  const expires = lifetime === undefined ? 0 : Math.floor((now.getTime() + lifetime) / 1000);
  const body = `${claims.subscriberId}.${claims.tokenVersion}.${expires}`;
  return `${body}.${sign(secret, purpose, body).slice(0, SIGNATURE_CHARS)}`;
}

/**
 * Checks signature (constant time), purpose and expiry. Throws TOKEN_INVALID or
 * TOKEN_EXPIRED; the caller must still compare tokenVersion with the subscriber's.
 */
export function verifyToken(secret: string, purpose: TokenPurpose, token: string, now: Date): TokenClaims {
  const match = /^(\d{1,10})\.(\d{1,10})\.(\d{1,12})\.([A-Za-z0-9_-]{22}|[A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) throw new AppError("TOKEN_INVALID", "this link is not valid", { field: "token" });
  const [, id, version, expires, signature] = match as unknown as [string, string, string, string, string];
  const expected = Buffer.from(sign(secret, purpose, `${id}.${version}.${expires}`).slice(0, signature.length));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AppError("TOKEN_INVALID", "this link is not valid", { field: "token" });
  }
  if (Number(expires) !== 0 && Number(expires) * 1000 < now.getTime()) {
    throw new AppError("TOKEN_EXPIRED", "this link has expired", { field: "token" });
  }
  return { subscriberId: Number(id), tokenVersion: Number(version) };
}

/**
 * Signatures are HMAC-SHA256 cut to 128 bits (22 base64url characters; RFC 2104
 * allows half the hash), which keeps every link in a digest 21 characters
 * shorter. Links sent before carry the whole 43 and keep working.
 */
const SIGNATURE_CHARS = 22;

function sign(secret: string, purpose: TokenPurpose, body: string): string {
  return createHmac("sha256", secret).update(`paperboy:${purpose}:${body}`).digest("base64url");
}
