// Double opt-in: a subscription request sends a confirmation link; the link
// activates the subscriber. Callers answer the same way whatever the address's
// state, so nobody can learn who is subscribed; the web app also answers before
// any of the state-dependent work (subscribe-queue.ts), so timing tells nothing either.
import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../db/client.ts";
import { mailDomain, type Mailer } from "../delivery/mailer.ts";
import { AppError, describeError } from "../errors.ts";
import { maskAddresses, type Log } from "../log.ts";
import { formatTopic } from "../matching/topics.ts";
import { formatList } from "../rendering/render-digest.ts";
import { renderEmail, type Templates } from "../rendering/templates.ts";
import { signedUrl, type MailSettings } from "./links.ts";
import { findSubscriber, findSuppression, normaliseEmail, parseTopics, replaceTopics, timezone, type SubscriberWithTopics } from "./store.ts";
import { verifyToken } from "./tokens.ts";

export type SubscribeDeps = {
  db: Db;
  mailer: Mailer;
  templates: Templates;
  mail: MailSettings;
  now: () => Date;
  log: Log;
};

/** No second confirmation (or reminder) email to the same address within this time. */
export const CONFIRMATION_COOLDOWN_MS = 10 * 60 * 1000;
/** Unconfirmed subscriptions are deleted after this time (the confirm link's lifetime). */
export const PENDING_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

/** timezone: the browser's, when the page's script sent it (the form works without). */
export type SubscribeRequest = { email: string; topics: string[]; source: "web" | "api" | "cli"; ip?: string; timezone?: string };
/** A request that passed validation, as the web app stores it: the address normalised, the client address hashed, the time zone known or null. */
export type ValidSubscribeRequest = { email: string; topics: string[]; source: string; ipHash: string | null; requestedAt: Date; timezone: string | null };

/**
 * Checks the address and topics (throws INVALID_EMAIL / INVALID_TOPIC naming the
 * field); a time zone this runtime does not know is dropped (UTC is used), not an
 * error: the reader did not type it. Reads nothing, writes nothing.
 */
export function validateSubscribeRequest(secret: string, request: SubscribeRequest, now: Date): ValidSubscribeRequest {
  const email = normaliseEmail(request.email);
  parseTopics(request.topics);
  return { email, topics: request.topics, source: request.source, ipHash: request.ip ? hashIp(secret, request.ip) : null, requestedAt: now, timezone: knownZone(request.timezone) };
}

function knownZone(value: string | undefined): string | null {
  if (!value) return null;
  try {
    return timezone(value);
  } catch {
    return null;
  }
}

/**
 * Processes a validated request (the web app's queue calls it after its answer,
 * see subscribe-queue.ts). Depending on the address's state: creates a pending subscriber and mails a
 * confirmation link; re-sends it; or mails an active subscriber their manage link.
 * At most one email per address per cooldown (safe to run twice, or at once);
 * suppressed and complained addresses get none. A failed send is logged, not thrown.
 */
export async function processSubscription(deps: SubscribeDeps, request: ValidSubscribeRequest): Promise<void> {
  const { email } = request;
  const topics = parseTopics(request.topics);
  const now = deps.now();
  await purgeExpiredPending(deps.db, now);
  if (await findSuppression(deps.db, email)) return;

  const consent = { consentAt: request.requestedAt, consentSource: request.source, consentIpHash: request.ipHash };
  // Only a pending subscription takes the browser's zone: an active reader's settings are theirs, whoever fills in the form.
  const zone = request.timezone ? { timezone: request.timezone } : {};
  const existing = await deps.db.subscriber.findUnique({ where: { email } });
  if (existing?.status === "complained") return;

  const subscriber =
    existing?.status === "active"
      ? existing
      : await deps.db.$transaction(async (tx) => {
          // Two requests at once for a new address: one row, no unique-constraint error (ON CONFLICT DO NOTHING).
          const created = (await tx.subscriber.createMany({ data: [{ email, status: "pending", createdAt: now, ...consent, ...zone }], skipDuplicates: true })).count === 1;
          const row = await tx.subscriber.findUniqueOrThrow({ where: { email } });
          if (row.status === "active" || row.status === "complained") return row; // changed under us: leave it as it is
          if (!created) await tx.subscriber.update({ where: { id: row.id }, data: { status: "pending", ...consent, ...(row.status === "pending" ? zone : {}) } });
          if (topics.length > 0 || created) await replaceTopics(tx, row.id, topics);
          return { ...row, status: "pending" as const };
        });
  if (subscriber.status === "complained") return;
  // One email per address per cooldown, decided by one conditional UPDATE: concurrent requests cannot both win.
  if (!(await claimConfirmationSlot(deps.db, subscriber.id, now))) return;
  if (subscriber.status === "active") return sendConfirmation(deps, { ...subscriber, topics: [] }, { alreadyActive: true });
  await sendConfirmation(deps, (await findSubscriber(deps.db, { id: subscriber.id })) as SubscriberWithTopics, { alreadyActive: false });
}

/** Takes the address's confirmation-email slot if the cooldown has passed; true when this caller may send. */
async function claimConfirmationSlot(db: Db, subscriberId: number, now: Date): Promise<boolean> {
  const { count } = await db.subscriber.updateMany({
    where: { id: subscriberId, OR: [{ lastConfirmationAt: null }, { lastConfirmationAt: { lte: new Date(now.getTime() - CONFIRMATION_COOLDOWN_MS) } }] },
    data: { lastConfirmationAt: now },
  });
  return count === 1;
}

/**
 * Activates the subscriber named by a confirm token (idempotent for one already
 * active). Throws TOKEN_INVALID / TOKEN_EXPIRED, or TOKEN_INVALID when the
 * subscription is gone or was revoked.
 */
export async function confirmSubscription(db: Db, secret: string, token: string, now: Date): Promise<SubscriberWithTopics> {
  const claims = verifyToken(secret, "confirm", token, now);
  const subscriber = await db.subscriber.findUnique({ where: { id: claims.subscriberId } });
  if (!subscriber || subscriber.tokenVersion !== claims.tokenVersion || !["pending", "active"].includes(subscriber.status)) {
    throw new AppError("TOKEN_INVALID", "this confirmation link is no longer valid; subscribe again to get a new one", { field: "token" });
  }
  if (subscriber.status === "pending") {
    await db.subscriber.update({ where: { id: subscriber.id }, data: { status: "active", confirmedAt: now } });
  }
  return (await findSubscriber(db, { id: subscriber.id })) as SubscriberWithTopics;
}

/** Deletes subscriptions never confirmed within PENDING_LIFETIME_MS; returns how many. Safe to run any time. */
export async function purgeExpiredPending(db: Db, now: Date): Promise<number> {
  const { count } = await db.subscriber.deleteMany({
    where: { status: "pending", confirmedAt: null, createdAt: { lt: new Date(now.getTime() - PENDING_LIFETIME_MS) } },
  });
  return count;
}

async function sendConfirmation(deps: SubscribeDeps, subscriber: SubscriberWithTopics, options: { alreadyActive: boolean }): Promise<void> {
  const now = deps.now();
  const view = {
    listName: deps.mail.listName,
    email: subscriber.email,
    alreadyActive: options.alreadyActive,
    topicsLabel: formatList(subscriber.topics.map(formatTopic)),
    confirmUrl: signedUrl(deps.mail, "/confirm", "confirm", subscriber, now),
    manageUrl: signedUrl(deps.mail, "/manage", "manage", subscriber, now),
  };
  const rendered = renderEmail(deps.templates, "confirm", view);
  try {
    const messageId = `<${randomBytes(16).toString("hex")}@${mailDomain(deps.mail.from)}>`;
    await deps.mailer.send({ from: deps.mail.from, to: subscriber.email, ...rendered, messageId, tag: "confirmations" });
  } catch (error) {
    // The visitor sees the same answer either way; the operator sees the failure.
    deps.log.warn(`Could not send the confirmation email to subscriber ${subscriber.id} (${maskAddresses(subscriber.email)}): ${maskAddresses(describeError(error))}`);
  }
}

/** Consent record: the address the request came from, hashed with the secret (not reversible without it). */
function hashIp(secret: string, ip: string): string {
  return createHash("sha256").update(`${secret}:${ip}`).digest("hex");
}
