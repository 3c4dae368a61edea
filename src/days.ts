// Days as plain `YYYY-MM-DD` strings, the one form days take in paperboy: parsed,
// built, moved, and read in a time zone here. `date` columns hold midnight UTC.
import { AppError } from "./errors.ts";

const DAY_MS = 86_400_000;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

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
