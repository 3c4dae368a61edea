// The one owner of digest keys and cadence windows (days themselves are src/days.ts).
// A digest key names one digest of one subscriber in the ledger: `daily:2026-05-14`
// (daily and weekdays cadences, the subscriber's local date) or `weekly:2026-W20`
// (ISO week of the local date).
import { AppError } from "./errors.ts";
import { addDays, isoWeek, isoWeekday, localTime, parseDay } from "./days.ts";

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

const WEEK = /^(\d{4})-W(\d{2})$/;

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
  if (kind === "daily" && /^\d{4}-\d{2}-\d{2}$/.test(rest)) {
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

// Which listing days a digest takes its papers from. The window follows the
// cadence — a daily digest covers its day, Monday's weekday digest the weekend
// too, a weekly digest the week — and never reaches back before the subscriber's
// previous digest. `overlapDays` (PAPERBOY_LOOKBACK_DAYS) widens it by earlier
// days because a listing day (UTC) can lag a subscriber's local date; papers
// already sent are left out anyway, so the overlap never repeats a paper.

export type DigestWindow = { since: string; until: string };

/** Local days a digest for `day` is meant to cover: daily 1; weekdays 1, Monday 3 (Sat–Mon); weekly 7. */
export function cadenceSpan(cadence: Cadence, day: string): number {
  if (cadence === "weekly") return 7;
  if (cadence === "weekdays" && isoWeekday(day) === 1) return 3;
  return 1;
}

/**
 * The listing days (inclusive) of a subscriber's digest for local `day`: the
 * cadence's span ending on `day`, plus `overlapDays - 1` earlier days, starting no
 * earlier than the previous digest's local day (less the same overlap).
 */
export function digestWindow(options: { cadence: Cadence; day: string; overlapDays: number; previousDay?: string }): DigestWindow {
  const overlap = Math.max(0, options.overlapDays - 1);
  let since = addDays(options.day, 1 - cadenceSpan(options.cadence, options.day) - overlap);
  // Only a digest before this one bounds it (a preview of a past day must not be cut by a later send).
  if (options.previousDay && options.previousDay < options.day) {
    const afterPrevious = addDays(options.previousDay, -overlap);
    if (afterPrevious > since) since = afterPrevious < options.day ? afterPrevious : options.day;
  }
  return { since, until: options.day };
}

/** The widest window any subscriber of a digest key's batch can have: what a batch loads once. */
export function batchWindow(kind: "daily" | "weekly", day: string, overlapDays: number): DigestWindow {
  // Weekday subscribers share daily keys; their Monday span is the widest of the two.
  return digestWindow({ cadence: kind === "weekly" ? "weekly" : "weekdays", day, overlapDays });
}

export type Schedule = { cadence: Cadence; timezone: string; pausedUntil: string | null };

/**
 * The local days, in order, on which the subscriber's next digests can be due
 * from `now` on (the planner's rule in days: weekdays skip Saturday and Sunday,
 * nothing before the pause ends), each with its digest key; `count` of them.
 */
export function upcomingDigestDays(schedule: Schedule, now: Date, count: number): Array<{ day: string; key: string }> {
  let day = localTime(now, schedule.timezone).day;
  if (schedule.pausedUntil && schedule.pausedUntil > day) day = schedule.pausedUntil;
  const days: Array<{ day: string; key: string }> = [];
  for (let i = 0; days.length < count && i < count * 7 + 7; i++, day = addDays(day, 1)) {
    if (schedule.cadence === "weekdays" && isoWeekday(day) > 5) continue;
    const key = digestKeyFor(schedule.cadence, day);
    if (days.at(-1)?.key !== key) days.push({ day, key });
  }
  return days;
}
