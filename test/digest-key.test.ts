// Days, digest keys and windows: each has one module that builds and parses it (table-driven).
import { describe, expect, it } from "vitest";
import { isoWeek, localTime } from "../src/days.ts";
import { digestKeyFor, digestWindow, parseDigestKey, upcomingDigestDays } from "../src/digest-key.ts";

describe("digest keys", () => {
  it.each([
    ["2026-05-14", "2026-W20"],
    ["2026-01-01", "2026-W01"], // a Thursday: week 1 of its own year
    ["2027-01-01", "2026-W53"], // a Friday: the last week of the year before
    ["2024-12-30", "2025-W01"], // a Monday whose Thursday is in the next year
    ["2026-05-17", "2026-W20"], // Sunday ends the ISO week
    ["2026-05-18", "2026-W21"],
  ])("puts %s in ISO week %s", (day, week) => {
    expect(isoWeek(day)).toBe(week);
  });

  it("builds the key of each cadence and parses it back to the days it covers", () => {
    expect(digestKeyFor("daily", "2026-05-14")).toBe("daily:2026-05-14");
    expect(digestKeyFor("weekdays", "2026-05-14")).toBe("daily:2026-05-14");
    expect(digestKeyFor("weekly", "2026-05-14")).toBe("weekly:2026-W20");
    expect(parseDigestKey("daily:2026-05-14")).toMatchObject({ kind: "daily", firstDay: "2026-05-14", lastDay: "2026-05-14", label: "2026-05-14" });
    expect(parseDigestKey("weekly:2026-W20")).toMatchObject({ kind: "weekly", firstDay: "2026-05-11", lastDay: "2026-05-17", label: "week 20 of 2026" });
    expect(parseDigestKey("weekly:2026-W53")).toMatchObject({ firstDay: "2026-12-28", lastDay: "2027-01-03" });
    for (const day of ["2026-05-11", "2026-12-31", "2027-01-03"]) {
      const parsed = parseDigestKey(digestKeyFor("weekly", day));
      expect(day >= parsed.firstDay && day <= parsed.lastDay).toBe(true);
    }
  });

  it.each(["daily:2026-02-30", "weekly:2026-W54", "weekly:2025-W53", "weekly:2026-W00", "monthly:2026-05", "daily:", "2026-05-14", ""])("refuses %j with a clear error", (key) => {
    expect(() => parseDigestKey(key)).toThrow(/is not (a digest key|a date)/);
  });

  it("reads local days and hours in a time zone", () => {
    const instant = new Date("2026-05-14T23:30:00Z");
    expect(localTime(instant, "UTC")).toEqual({ day: "2026-05-14", hour: 23 });
    expect(localTime(instant, "Europe/Berlin")).toEqual({ day: "2026-05-15", hour: 1 });
    expect(localTime(instant, "America/Los_Angeles")).toEqual({ day: "2026-05-14", hour: 16 });
  });
});

describe("digest windows", () => {
  const overlapDays = 2;
  it.each([
    // cadence, local day, previous digest's day, since
    ["daily", "2026-05-14", undefined, "2026-05-13"],
    ["daily", "2026-05-14", "2026-05-04", "2026-05-13"], // after a long pause: bounded to the cadence
    ["weekdays", "2026-05-14", undefined, "2026-05-13"], // a Thursday
    ["weekdays", "2026-05-18", undefined, "2026-05-15"], // Monday covers Saturday and Sunday, from Friday's listing on
    ["weekdays", "2026-05-18", "2026-05-15", "2026-05-15"],
    ["weekly", "2026-05-18", undefined, "2026-05-11"], // the whole week (and the day before it, for lag)
    ["weekly", "2026-05-18", "2026-05-11", "2026-05-11"], // since last week's digest
    ["weekly", "2026-05-18", "2026-05-15", "2026-05-14"], // switched from daily on Friday: what came since (and the day before, for lag)
    ["weekly", "2026-05-18", "2026-04-01", "2026-05-11"], // bounded to a week
    ["daily", "2026-05-13", "2026-05-14", "2026-05-12"], // a later digest (a preview of a past day) bounds nothing
  ] as const)("%s on %s after a digest on %s starts on %s", (cadence, day, previousDay, since) => {
    expect(digestWindow({ cadence, day, overlapDays, previousDay })).toEqual({ since, until: day });
  });

  it("lists the upcoming digest days the planner will use", () => {
    const thursdayNoon = new Date("2026-05-14T12:00:00Z");
    expect(upcomingDigestDays({ cadence: "daily", timezone: "UTC", pausedUntil: null }, thursdayNoon, 2)).toEqual([
      { day: "2026-05-14", key: "daily:2026-05-14" },
      { day: "2026-05-15", key: "daily:2026-05-15" },
    ]);
    expect(upcomingDigestDays({ cadence: "weekdays", timezone: "UTC", pausedUntil: null }, thursdayNoon, 3).map((entry) => entry.day)).toEqual(["2026-05-14", "2026-05-15", "2026-05-18"]);
    expect(upcomingDigestDays({ cadence: "weekly", timezone: "UTC", pausedUntil: null }, thursdayNoon, 2)).toEqual([
      { day: "2026-05-14", key: "weekly:2026-W20" },
      { day: "2026-05-18", key: "weekly:2026-W21" },
    ]);
    expect(upcomingDigestDays({ cadence: "daily", timezone: "UTC", pausedUntil: "2026-05-20" }, thursdayNoon, 1)).toEqual([{ day: "2026-05-20", key: "daily:2026-05-20" }]);
    expect(upcomingDigestDays({ cadence: "daily", timezone: "Pacific/Auckland", pausedUntil: null }, thursdayNoon, 1)[0]?.day).toBe("2026-05-15");
  });
});
