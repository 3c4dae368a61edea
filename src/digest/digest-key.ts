// The one owner of digest keys and days. A digest key names one digest of one
// subscriber in the ledger: `daily:2026-05-14` (daily and weekdays cadences, the
// subscriber's local date) or `weekly:2026-W20` (ISO week of the local date).
// Days are plain `YYYY-MM-DD` strings everywhere; this module converts them.
import { AppError } from "../errors.ts";

export type Cadence = "daily" | "weekdays" | "weekly";

export type DigestKey = {
  key: string;
  kind: "daily" | "weekly";
  /** The first and last local day the digest is for (the same day for a daily key; Monday and Sunday for a weekly one). */
  firstDay: string;
  lastDay: string;
  /** For people: "2026-05-14" or "week 20 of 2026". */
  label: string;
};

const DAY_MS = 86_400_000;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const WEEK = /^(\d{4})-W(\d{2})$/;

/** Validates a YYYY-MM-DD date; throws INVALID_DATE. */
export function parseDay(value: string): string {
  const date = DAY.test(value) ? new Date(`${value}T00:00:00Z`) : undefined;
  if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
    throw new AppError("INVALID_DATE", `${JSON.stringify(value)} is not a date in the form YYYY-MM-DD`, { field: "date" });
  }
  return value;
}

/** The day `days` after `day` (negative: before). */
export function addDays(day: string, days: number): string {
  return toDay(new Date(dayStart(day).getTime() + days * DAY_MS));
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((dayStart(to).getTime() - dayStart(from).getTime()) / DAY_MS);
}

/** Midnight UTC of a day, for `date` columns. */
export function dayStart(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

/** The UTC day of an instant or of a `date` column's value. */
export function toDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export function isoWeekday(day: string): number {
  return ((dayStart(day).getUTCDay() + 6) % 7) + 1;
}

// Creating a formatter costs ~150 µs; one per zone is kept.
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local day and hour of `instant` in an IANA time zone. */
export function localTime(instant: Date, timezone: string): { day: string; hour: number } {
  let format = formatters.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", hourCycle: "h23" });
    if (formatters.size < 1000) formatters.set(timezone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((part) => [part.type, part.value]));
  return { day: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour) };
}

/** ISO 8601 week of a day, e.g. "2026-W20" (the week belongs to the year of its Thursday). */
export function isoWeek(day: string): string {
  const thursday = addDays(day, 4 - isoWeekday(day));
  const year = thursday.slice(0, 4);
  const week = Math.floor(daysBetween(`${year}-01-01`, thursday) / 7) + 1;
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** The key of the digest a subscriber with `cadence` gets for their local `day`. */
export function digestKeyFor(cadence: Cadence, day: string): string {
  return cadence === "weekly" ? `weekly:${isoWeek(day)}` : `daily:${day}`;
}

/**
 * The same rule as digestKeyFor, as SQL over a cadence text expression and a
 * local `timestamp` expression; the planner computes keys in PostgreSQL with it.
 */
export function digestKeySql(cadence: string, local: string): string {
  return `CASE WHEN ${cadence} = 'weekly' THEN 'weekly:' || to_char(${local}, 'IYYY-"W"IW') ELSE 'daily:' || to_char(${local}, 'YYYY-MM-DD') END`;
}

/** Parses a digest key; throws INVALID_ARGUMENT naming what is wrong. */
export function parseDigestKey(key: string): DigestKey {
  const [kind, rest = ""] = key.split(":", 2);
  if (kind === "daily" && DAY.test(rest)) {
    const day = parseDay(rest);
    return { key, kind: "daily", firstDay: day, lastDay: day, label: day };
  }
  const week = kind === "weekly" ? WEEK.exec(rest) : null;
  if (week) {
    const [year, number] = [Number(week[1]), Number(week[2])];
    // ISO week 1 is the week with 4 January in it.
    const jan4 = `${year}-01-04`;
    const monday = addDays(jan4, 1 - isoWeekday(jan4) + (number - 1) * 7);
    if (number >= 1 && isoWeek(monday) === rest) return { key, kind: "weekly", firstDay: monday, lastDay: addDays(monday, 6), label: `week ${number} of ${year}` };
  }
  throw new AppError("INVALID_ARGUMENT", `${JSON.stringify(key.slice(0, 40))} is not a digest key (daily:YYYY-MM-DD or weekly:YYYY-Www)`, { field: "key" });
}
