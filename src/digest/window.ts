// Which listing days a digest takes its papers from. The window follows the
// cadence — a daily digest covers its day, Monday's weekday digest the weekend
// too, a weekly digest the week — and never reaches back before the subscriber's
// previous digest. `overlapDays` (PAPERBOY_LOOKBACK_DAYS) widens it by earlier
// days because a listing day (UTC) can lag a subscriber's local date; papers
// already sent are left out anyway, so the overlap never repeats a paper.
import { addDays, isoWeekday, localTime } from "../days.ts";
import { digestKeyFor, type Cadence } from "./digest-key.ts";

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
