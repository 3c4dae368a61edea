// The one owner of digest keys (days themselves are src/days.ts). A digest key names one digest of one
// subscriber in the ledger: `daily:2026-05-14` (daily and weekdays cadences, the
// subscriber's local date) or `weekly:2026-W20` (ISO week of the local date).
import { AppError } from "../errors.ts";
import { addDays, isoWeek, isoWeekday, parseDay } from "../days.ts";

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
