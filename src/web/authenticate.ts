// Signed-link authentication for pages and the API: the token comes in the query
// string (links in emails) or an `Authorization: Bearer` header (API clients).
import type { FastifyRequest } from "fastify";
import { AppError } from "../errors.ts";
import { findSubscriberByToken, type SubscriberWithTopics } from "../subscriptions/store.ts";
import type { TokenPurpose } from "../subscriptions/tokens.ts";
import type { WebDeps } from "./web-deps.ts";

/** The request's token, or "" when there is none. */
export function readToken(request: FastifyRequest): string {
  const query = (request.query as { token?: unknown }).token;
  if (typeof query === "string") return query;
  const header = request.headers.authorization ?? "";
  return header.startsWith("Bearer ") ? header.slice(7).trim() : "";
}

/**
 * The subscriber the request's token names for `purpose`. Throws TOKEN_INVALID /
 * TOKEN_EXPIRED; `anyVersion` accepts revoked tokens (unsubscribing only).
 */
export async function authenticate(deps: WebDeps, request: FastifyRequest, purpose: TokenPurpose, options: { anyVersion?: boolean } = {}): Promise<SubscriberWithTopics & { current: boolean }> {
  const token = readToken(request);
  if (token === "") throw new AppError("TOKEN_INVALID", "this link is missing its token; use the link from your email", { field: "token" });
  return findSubscriberByToken(deps.db, deps.mail.secret, purpose, token, deps.now(), options);
}
