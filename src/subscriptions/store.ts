// The subscriber store: validation, creation and lookup of subscribers and their
// topics. Prisma (typed rows and relations), except the workers' batch loader,
// one SQL query that aggregates the topics in PostgreSQL.
import { hash } from "node:crypto";
import { sql, type Db } from "../db/client.ts";
import { AppError, describeError } from "../errors.ts";
import { formatTopic, parseTopic, type TopicSpec, topicKey } from "../matching/topics.ts";
import type { Cadence } from "../digest-key.ts";
import { verifyToken, type TokenPurpose } from "./tokens.ts";
import { toDay } from "../days.ts";

export const MAX_TOPICS = 50;
const MAX_EMAIL_LENGTH = 254;
// Deliberately strict: one plain address, no display name, comments, quotes or lists.
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Trims and lower-cases an address; throws INVALID_EMAIL saying what is wrong with it. */
export function normaliseEmail(input: string): string {
  const email = input.trim();
  const fail = (why: string) => new AppError("INVALID_EMAIL", `${JSON.stringify(input.slice(0, 80))} is not a valid email address: ${why}`, { field: "email" });
  if (email === "") throw fail("it is empty");
  if (/[\r\n]/.test(email)) throw fail("it contains a line break");
  if (email.length > MAX_EMAIL_LENGTH) throw fail(`it is longer than ${MAX_EMAIL_LENGTH} characters`);
  if (/[,;\s]/.test(email) || (email.match(/@/g) ?? []).length > 1) throw fail("give exactly one address");
  if (!EMAIL.test(email)) throw fail("expected the form name@example.org");
  return email.toLowerCase();
}

/** An IANA time zone name that this runtime knows, e.g. Europe/Berlin. */
export function timezone(value: string): string {
  if (typeof value !== "string") throw new Error("must be a time zone name, written like Europe/Berlin or America/New_York");
  const name = value.trim();
  try {
    if (name === "" || name.length > 64) throw new Error();
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    throw new Error(`unknown time zone "${name.slice(0, 64)}": choose one from the list, written like Europe/Berlin or America/New_York`);
  }
}

/** Hash under which an address is kept on the suppression list. */
export function hashAddress(email: string): string {
  return hash("sha256", email.toLowerCase(), "hex");
}

/** Parses every topic first, so that one bad topic changes nothing. Duplicates are dropped. */
export function parseTopics(inputs: string[]): TopicSpec[] {
  const specs = inputs.map(parseTopic);
  const unique = [...new Map(specs.map((spec) => [`${spec.kind}:${spec.query}`, spec])).values()];
  if (unique.length > MAX_TOPICS) throw new AppError("INVALID_TOPIC", `at most ${MAX_TOPICS} topics (got ${unique.length})`, { field: "topics" });
  return unique;
}

export type NewSubscriber = {
  email: string;
  topics: string[];
  maxPapers?: number;
  timezone?: string;
  sendHour?: number;
  /** Already validated (import); unset: the defaults. */
  cadence?: "daily" | "weekdays" | "weekly";
  popularity?: "niche" | "balanced" | "trending";
  textOnly?: boolean;
  pausedUntil?: Date | null;
  /** Default "active"; an import may carry another (an unsubscribed row stays unsubscribed). */
  status?: "active" | "pending" | "unsubscribed" | "bounced" | "complained";
  /** Where consent was given: "cli", "demo", "web", … */
  source: string;
  /** Lift a suppression of the address (recorded on it) instead of refusing. */
  unsuppress?: boolean;
};

/** The schema's SubscriberStatus. */
export type SubscriberStatus = "pending" | "active" | "unsubscribed" | "bounced" | "complained";

export type SubscriberWithTopics = {
  id: number;
  email: string;
  status: SubscriberStatus;
  maxPapers: number;
  timezone: string;
  sendHour: number;
  cadence: Cadence;
  /** "niche" | "balanced" | "trending". */
  popularity: string;
  /** No images in the email. */
  textOnly: boolean;
  pausedUntil: Date | null;
  tokenVersion: number;
  topics: TopicSpec[];
};

/** Prisma `include` that loads a subscriber's topics in the order they were added. */
/**
 * Adds an active subscriber (added by an operator, so no confirmation email) with
 * topics, or one with the given `status` (import). Validates everything before
 * writing (cadence, popularity and pause come typed); throws INVALID_EMAIL,
 * INVALID_TOPIC, INVALID_ARGUMENT when the address is already subscribed, or
 * SUPPRESSED (with why and since when) when it is on the suppression list. With
 * `unsuppress` the suppression is lifted and the lift recorded on it, and a
 * subscriber who had bounced, complained or unsubscribed is made active again —
 * all in one transaction.
 */
export async function addSubscriber(db: Db, input: NewSubscriber, now: Date): Promise<SubscriberWithTopics> {
  const email = normaliseEmail(input.email);
  const topics = parseTopics(input.topics);
  if (input.maxPapers !== undefined && !(Number.isInteger(input.maxPapers) && input.maxPapers >= 1 && input.maxPapers <= 50)) {
    throw new AppError("INVALID_ARGUMENT", "papers per digest must be a whole number from 1 to 50", { field: "maxPapers" });
  }
  if (input.sendHour !== undefined && !(Number.isInteger(input.sendHour) && input.sendHour >= 0 && input.sendHour <= 23)) {
    throw new AppError("INVALID_ARGUMENT", "the send hour must be a whole number from 0 to 23", { field: "sendHour" });
  }
  let zone: string | undefined;
  try {
    zone = input.timezone === undefined ? undefined : timezone(input.timezone);
  } catch (error) {
    throw new AppError("INVALID_ARGUMENT", describeError(error), { field: "timezone" });
  }
  const suppression = await findSuppression(db, email);
  if (suppression && !input.unsuppress) {
    throw new AppError(
      "SUPPRESSED",
      `${email} is on the suppression list since ${toDay(suppression.createdAt)} (${suppression.reason}) and would never be mailed; add --unsuppress to lift that (it is recorded)`,
      { field: "email" },
    );
  }
  const existing = await db.subscriber.findUnique({ where: { email }, select: { id: true, status: true } });
  const reactivate = existing && input.unsuppress && existing.status !== "active" && existing.status !== "pending";
  if (existing && !reactivate) throw new AppError("INVALID_ARGUMENT", `${email} is already subscribed (id ${existing.id}, ${existing.status})`, { field: "email" });

  const settings = {
    status: input.status ?? "active",
    maxPapers: input.maxPapers,
    timezone: zone,
    sendHour: input.sendHour,
    cadence: input.cadence,
    popularity: input.popularity,
    textOnly: input.textOnly,
    pausedUntil: input.pausedUntil,
    consentAt: now,
    consentSource: input.source,
    confirmedAt: now,
  };
  const id = await db.$transaction(async (tx) => {
    if (suppression) await tx.suppression.update({ where: { id: suppression.id }, data: { liftedAt: now, liftedBy: input.source } });
    const subscriber = existing
      ? await tx.subscriber.update({ where: { id: existing.id }, data: { ...settings, softBounces: 0, unsubscribedAt: null } })
      : await tx.subscriber.create({ data: { ...settings, email, createdAt: now } });
    await replaceTopics(tx, subscriber.id, topics);
    return subscriber.id;
  });
  return (await findSubscriber(db, { id })) as SubscriberWithTopics;
}

export type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

/** The address's suppression, unless it was lifted. Read-only. */
export async function findSuppression(db: Db | Tx, email: string): Promise<{ id: number; reason: string; createdAt: Date } | undefined> {
  const row = await db.suppression.findFirst({ where: { addressHash: hashAddress(email), liftedAt: null }, select: { id: true, reason: true, createdAt: true } });
  return row ?? undefined;
}

/**
 * Makes `topics` (already validated) the subscriber's whole topic list, sharing
 * Topic rows; topics kept keep what feedback taught about them. Run inside a transaction.
 */
export async function replaceTopics(tx: Tx, subscriberId: number, topics: TopicSpec[]): Promise<void> {
  // One INSERT … ON CONFLICT DO NOTHING, not upsert (select, then insert): two requests at once for the same
  // topics must not collide; in one order of the topics, so that two transactions never wait on each other's.
  const sorted = [...topics].sort((a, b) => (topicKey(a) < topicKey(b) ? -1 : topicKey(a) > topicKey(b) ? 1 : 0));
  if (sorted.length > 0) await tx.topic.createMany({ data: sorted, skipDuplicates: true });
  const stored = topics.length === 0 ? [] : await tx.topic.findMany({ where: { OR: topics.map(({ kind, query }) => ({ kind, query })) }, select: { id: true, kind: true, query: true } });
  const idOf = new Map(stored.map((row) => [topicKey(row), row.id]));
  const ids = topics.map((topic) => idOf.get(topicKey(topic))!);
  await tx.subscriberTopic.deleteMany({ where: { subscriberId, topicId: { notIn: ids } } });
  for (const topicId of ids) await tx.subscriberTopic.createMany({ data: [{ subscriberId, topicId }], skipDuplicates: true });
}

/**
 * The subscriber a signed link names, if the token is valid for `purpose` and
 * not revoked (its version is the subscriber's tokenVersion). With `anyVersion`
 * a revoked token is accepted too and `current` says whether it was revoked —
 * only for unsubscribing, which must work from every email ever sent. Throws
 * TOKEN_INVALID / TOKEN_EXPIRED.
 */
export async function findSubscriberByToken(
  db: Db,
  secret: string,
  purpose: TokenPurpose,
  token: string,
  now: Date,
  options: { anyVersion?: boolean } = {},
): Promise<SubscriberWithTopics & { current: boolean }> {
  const claims = verifyToken(secret, purpose, token, now);
  const subscriber = await findSubscriber(db, { id: claims.subscriberId });
  const current = subscriber?.tokenVersion === claims.tokenVersion;
  if (!subscriber || (!current && !options.anyVersion)) throw new AppError("TOKEN_INVALID", "this link is not valid any more", { field: "token" });
  return { ...subscriber, current };
}

/** One subscriber with topics, by id or address; undefined when unknown. One query (every page and API call asks). */
export async function findSubscriber(db: Db, where: { id: number } | { email: string }): Promise<SubscriberWithTopics | undefined> {
  const [found] = "id" in where ? await selectSubscribers(db, `s.id = $1`, [where.id]) : await selectSubscribers(db, `s.email = $1`, [where.email]);
  return found;
}

/** Every subscriber, oldest first (operator listing; not for the send path). */
export async function listSubscribers(db: Db): Promise<SubscriberWithTopics[]> {
  return selectSubscribers(db, "true", []);
}

/** How many subscribers are active (what a run may send to at most). */
export function countActiveSubscribers(db: Db): Promise<number> {
  return db.subscriber.count({ where: { status: "active" } });
}

/** Which of `emails` (normalised) are subscribers, whatever their status. */
export async function existingEmails(db: Db, emails: string[]): Promise<Set<string>> {
  const rows = await db.subscriber.findMany({ where: { email: { in: emails } }, select: { email: true } });
  return new Set(rows.map((row) => row.email));
}

/** Deletes the subscribers with these addresses, and with them their topics, ledger rows and feedback (the demo's reset; no suppression). */
export async function deleteSubscribersByEmail(db: Db, emails: string[]): Promise<void> {
  await db.subscriber.deleteMany({ where: { email: { in: emails } } });
}

/**
 * The active subscribers among `ids`, with their topics, in id order: one query
 * (topics aggregated in PostgreSQL), for workers loading a batch. Read-only.
 */
export function loadActiveSubscribers(db: Db, ids: number[]): Promise<SubscriberWithTopics[]> {
  return selectSubscribers(db, `s.id = ANY($1::int[]) AND s.status = 'active'`, [ids]);
}

/** Subscribers matching the SQL condition `where` on `s`, with their topics in the order added, by id. */
async function selectSubscribers(db: Db, where: string, params: unknown[]): Promise<SubscriberWithTopics[]> {
  const rows = await sql<Omit<SubscriberWithTopics, "topics"> & { kinds: Array<TopicSpec["kind"]>; queries: string[] }>(
    db,
    `SELECT s.id, s.email, s.status::text AS status, s."maxPapers", s.timezone, s."sendHour", s.cadence::text AS cadence,
            s.popularity, s."textOnly", s."pausedUntil" AT TIME ZONE 'UTC' AS "pausedUntil", s."tokenVersion",
            coalesce(array_agg(t.kind::text ORDER BY st."createdAt", t.id) FILTER (WHERE t.id IS NOT NULL), '{}') AS kinds,
            coalesce(array_agg(t.query ORDER BY st."createdAt", t.id) FILTER (WHERE t.id IS NOT NULL), '{}') AS queries
     FROM "Subscriber" s
     LEFT JOIN "SubscriberTopic" st ON st."subscriberId" = s.id
     LEFT JOIN "Topic" t ON t.id = st."topicId"
     WHERE ${where}
     GROUP BY s.id ORDER BY s.id`,
    params,
  );
  return rows.map(({ kinds, queries, ...subscriber }) => ({ ...subscriber, topics: kinds.map((kind, i) => ({ kind, query: queries[i]! })) }));
}

/** Topics by how many active subscribers follow them, most popular first. */
export async function listPopularTopics(db: Db, limit: number): Promise<Array<{ topic: string; subscribers: number }>> {
  const rows = await db.topic.findMany({ include: { _count: { select: { subscribers: { where: { subscriber: { status: "active" } } } } } } });
  return rows
    .map((row) => ({ topic: formatTopic({ kind: row.kind, query: row.query }), subscribers: row._count.subscribers }))
    .filter((row) => row.subscribers > 0)
    .sort((a, b) => b.subscribers - a.subscribers || a.topic.localeCompare(b.topic))
    .slice(0, limit);
}
