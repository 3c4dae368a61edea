// A subscriber's preferences as the manage page and the API show and change them.
import { dayStart, parseDay, toDay } from "../days.ts";
import type { Cadence } from "../digest-key.ts";
import type { Db } from "../db/client.ts";
import { AppError, describeError } from "../errors.ts";
import { describeTopic, formatTopic, parseTopic, type TopicSpec } from "../matching/topics.ts";
import { findSubscriber, MAX_TOPICS, replaceTopics, timezone, type SubscriberWithTopics } from "./store.ts";

export const CADENCES = ["daily", "weekdays", "weekly"] as const satisfies readonly Cadence[];
export const POPULARITY = ["niche", "balanced", "trending"] as const;
export const MAX_PAPERS_LIMIT = 50;

export type Preferences = {
  email: string;
  status: string;
  /** Plain words, "quoted phrases" and like:<arXiv id> papers, one topic each. */
  keywords: string[];
  /** arXiv category ids, e.g. cs.CL. */
  categories: string[];
  authors: string[];
  /** Topics whose papers are left out. */
  exclusions: string[];
  cadence: Cadence;
  /** niche: relevance first; trending: community interest weighs more. */
  popularity: (typeof POPULARITY)[number];
  /** No paper images in the email. */
  textOnly: boolean;
  /** IANA zone, e.g. Europe/Berlin. */
  timezone: string;
  /** Local hour, 0–23. */
  sendHour: number;
  maxPapers: number;
  /** YYYY-MM-DD, or null when not paused. */
  pausedUntil: string | null;
};

/** What a form or API sends; strings where a form would send strings. */
export type PreferencesInput = {
  keywords?: string[] | string;
  categories?: string[] | string;
  authors?: string[] | string;
  exclusions?: string[] | string;
  cadence?: string;
  popularity?: string;
  /** true, false, or a form's "true"/"false". */
  textOnly?: boolean | string;
  timezone?: string;
  sendHour?: number | string;
  maxPapers?: number | string;
  pausedUntil?: string | null;
};

/** How a line of each topic field is read. */
const TOPIC_FIELDS = {
  keywords: parseTopic,
  categories: (id: string) => parseTopic(`cat:${id}`),
  authors: (name: string) => parseTopic(`author:"${name.replaceAll('"', "")}"`),
  exclusions: (text: string) => parseTopic(`-${text.replace(/^-+/, "")}`),
} satisfies Record<string, (line: string) => TopicSpec>;

export type TopicReading = { field: keyof typeof TOPIC_FIELDS; typed: string } & ({ meaning: string } | { error: string });

/** Each line of the topic fields in `input` and how it is read, or why it cannot be: what the manage page shows while the reader types. */
export function readTopicLines(input: PreferencesInput): TopicReading[] {
  const readings: TopicReading[] = [];
  for (const field of Object.keys(TOPIC_FIELDS) as Array<keyof typeof TOPIC_FIELDS>) {
    let lines: string[];
    try {
      lines = toLines(input[field]) ?? [];
    } catch (error) {
      readings.push({ field, typed: "", error: describeError(error) });
      continue;
    }
    for (const typed of lines.slice(0, MAX_TOPICS)) {
      try {
        readings.push({ field, typed, meaning: describeTopic(TOPIC_FIELDS[field](typed)) });
      } catch (error) {
        readings.push({ field, typed, error: describeError(error) });
      }
    }
  }
  return readings;
}

/** A topic field's lines: text with one per line, or a list of texts; undefined when absent. Throws an Error for anything else (a number, an object). */
function toLines(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const items = Array.isArray(value) ? value : [value];
  if (!items.every((item) => typeof item === "string")) throw new Error("must be text, one topic per line, or a list of texts");
  return (Array.isArray(value) ? (items as string[]) : (value as string).split(/\r?\n/)).map((item) => item.trim()).filter((item) => item !== "");
}

/** The subscriber's preferences, topics grouped by kind. */
export function readPreferences(subscriber: SubscriberWithTopics): Preferences {
  const of = (...kinds: TopicSpec["kind"][]) => subscriber.topics.filter((topic) => kinds.includes(topic.kind));
  return {
    email: subscriber.email,
    status: subscriber.status,
    keywords: of("keyword", "phrase", "like").map(formatTopic),
    categories: of("category").map((topic) => topic.query),
    authors: of("author").map((topic) => topic.query),
    exclusions: of("exclude").map((topic) => formatTopic(topic).slice(1)),
    cadence: subscriber.cadence,
    popularity: subscriber.popularity as Preferences["popularity"],
    textOnly: subscriber.textOnly,
    timezone: subscriber.timezone,
    sendHour: subscriber.sendHour,
    maxPapers: subscriber.maxPapers,
    pausedUntil: subscriber.pausedUntil ? toDay(subscriber.pausedUntil) : null,
  };
}

/**
 * Checks every field of `input` against the current preferences (missing fields
 * keep their value). Throws INVALID_ARGUMENT with `fields` naming each bad field.
 */
export function validatePreferences(current: Preferences, input: PreferencesInput): { preferences: Preferences; topics: TopicSpec[] } {
  const fields: Record<string, string> = {};
  const check = <T>(field: string, read: () => T, fallback: T): T => {
    try {
      return read();
    } catch (error) {
      fields[field] = describeError(error);
      return fallback;
    }
  };
  const list = (field: keyof typeof TOPIC_FIELDS, keep: string[]) => check(field, () => toLines(input[field]) ?? keep, keep);

  const keywords = list("keywords", current.keywords);
  const categories = list("categories", current.categories);
  const authors = list("authors", current.authors);
  const exclusions = list("exclusions", current.exclusions);
  const topics = [
    ...check("keywords", () => keywords.map(TOPIC_FIELDS.keywords), []),
    ...check("categories", () => categories.map(TOPIC_FIELDS.categories), []),
    ...check("authors", () => authors.map(TOPIC_FIELDS.authors), []),
    ...check("exclusions", () => exclusions.map(TOPIC_FIELDS.exclusions), []),
  ];
  const unique = [...new Map(topics.map((topic) => [`${topic.kind}:${topic.query}`, topic])).values()];
  if (unique.length > MAX_TOPICS) fields.keywords ??= `at most ${MAX_TOPICS} topics in all (got ${unique.length})`;

  const preferences: Preferences = {
    ...current,
    keywords,
    categories,
    authors,
    exclusions,
    cadence: check("cadence", () => oneOf(input.cadence ?? current.cadence, CADENCES), current.cadence),
    popularity: check("popularity", () => oneOf(input.popularity ?? current.popularity, POPULARITY), current.popularity),
    textOnly: check("textOnly", () => yesOrNo(input.textOnly ?? current.textOnly), current.textOnly),
    timezone: check("timezone", () => timezone(input.timezone ?? current.timezone), current.timezone),
    sendHour: check("sendHour", () => wholeNumber(input.sendHour ?? current.sendHour, 0, 23, "the send hour"), current.sendHour),
    maxPapers: check("maxPapers", () => wholeNumber(input.maxPapers ?? current.maxPapers, 1, MAX_PAPERS_LIMIT, "papers per digest"), current.maxPapers),
    pausedUntil: check("pausedUntil", () => day(input.pausedUntil === undefined ? current.pausedUntil : input.pausedUntil), current.pausedUntil),
  };
  if (Object.keys(fields).length > 0) {
    throw new AppError(
      "INVALID_ARGUMENT",
      Object.entries(fields)
        .map(([field, message]) => `${field}: ${message}`)
        .join("; "),
      { fields },
    );
  }
  return { preferences, topics: unique };
}

/** Validates, then writes everything in one transaction (or nothing). Returns the preferences as stored. */
export async function updatePreferences(db: Db, subscriber: SubscriberWithTopics, input: PreferencesInput): Promise<Preferences> {
  const { preferences, topics } = validatePreferences(readPreferences(subscriber), input);
  await db.$transaction(async (tx) => {
    await tx.subscriber.update({
      where: { id: subscriber.id },
      data: {
        cadence: preferences.cadence,
        popularity: preferences.popularity,
        textOnly: preferences.textOnly,
        timezone: preferences.timezone,
        sendHour: preferences.sendHour,
        maxPapers: preferences.maxPapers,
        pausedUntil: parsePausedUntil(preferences.pausedUntil),
      },
    });
    await replaceTopics(tx, subscriber.id, topics);
  });
  const stored = await findSubscriber(db, { id: subscriber.id });
  if (!stored) throw new AppError("NOT_FOUND", "the subscription no longer exists");
  return readPreferences(stored);
}

/** `value` if it is one of `allowed`; throws an Error listing them otherwise. */
export function oneOf<T extends string>(value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`must be one of ${allowed.join(", ")}`);
  return value as T;
}

/** true or false, or a form's or a CSV's "true" / "false". */
export function yesOrNo(value: boolean | string): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value !== "string") throw new Error("must be true or false");
  const text = value.trim().toLowerCase();
  if (text === "true") return true;
  if (text === "false") return false;
  throw new Error("must be true or false");
}

function wholeNumber(value: number | string, min: number, max: number, what: string): number {
  const number = typeof value === "number" ? value : Number(String(value).trim());
  if (!Number.isInteger(number) || number < min || number > max || String(value).trim() === "") {
    throw new Error(`${what} must be a whole number from ${min} to ${max}`);
  }
  return number;
}

/** A pause date (YYYY-MM-DD, or empty/null for none) as stored: midnight UTC of that day. Throws an Error for a malformed date. */
export function parsePausedUntil(value: string | null): Date | null {
  const text = day(value);
  return text === null ? null : dayStart(text);
}

function day(value: string | null): string | null {
  if (value !== null && typeof value !== "string") throw new Error("must be a date written YYYY-MM-DD, or empty for none");
  if (value === null || value.trim() === "") return null;
  return parseDay(value.trim().slice(0, 20));
}
