// CSV import and export (issue 11.8): topics written the natural way, every
// setting exported, and import(export(x)) reproducing x.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportSubscribers, importSubscribers } from "../../src/subscriptions/import-export.ts";
import { unsubscribe } from "../../src/subscriptions/leave.ts";
import { updatePreferences } from "../../src/subscriptions/preferences.ts";
import { addSubscriber, listSubscribers, type SubscriberWithTopics } from "../../src/subscriptions/store.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

const now = new Date("2026-05-14T09:00:00Z");
let source: TestDatabase;
let target: TestDatabase;
beforeAll(async () => {
  [source, target] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});
afterAll(async () => {
  await Promise.all([source.drop(), target.drop()]);
});

/** What a subscriber is, without the ids a new database assigns; topic order is not a setting. */
// By address: rows are imported a few at a time, so ids follow the order they were written in, not the file's.
const comparable = (rows: SubscriberWithTopics[]) =>
  rows
    .map(({ id: _id, tokenVersion: _version, topics, ...rest }) => ({ ...rest, topics: topics.map((topic) => `${topic.kind}:${topic.query}`).sort() }))
    .sort((a, b) => a.email.localeCompare(b.email));

describe("subscribers import and export", () => {
  it("import(export(x)) reproduces x: phrases with commas, semicolons and quotes, categories, authors, exclusions, every setting", async () => {
    const ada = await addSubscriber(
      source.db,
      { email: "ada@example.org", topics: ['"mixture, of experts"', "agents", '"q; a"', 'diffusion "video generation"', '(robot | "embodied agent") planning', "大语言模型"], source: "cli" },
      now,
    );
    await updatePreferences(source.db, ada, {
      categories: ["cs.CL", "cs.LG"],
      authors: ["Yann LeCun"],
      exclusions: ["survey", '"position paper"'],
      cadence: "weekly",
      popularity: "trending",
      textOnly: true,
      timezone: "Europe/Berlin",
      sendHour: 6,
      maxPapers: 3,
      pausedUntil: "2026-07-01",
    });
    const grace = await addSubscriber(source.db, { email: "grace@example.org", topics: ["cat:cs.CV"], source: "cli" }, now);
    await updatePreferences(source.db, grace, { cadence: "weekdays", popularity: "niche", timezone: "America/New_York", sendHour: 23, maxPapers: 50 });
    const alan = await addSubscriber(source.db, { email: "alan@example.org", topics: [], source: "cli" }, now); // defaults, the trending list
    await unsubscribe(source.db, alan.id, now);
    const before = await listSubscribers(source.db);

    const csv = await exportSubscribers(source.db);
    expect(csv.split("\n")[0]).toBe("email,topics,max_papers,timezone,send_hour,cadence,popularity,text_only,paused_until,status");
    const result = await importSubscribers(target.db, csv, now);
    expect(result).toEqual({ imported: 3, rejected: [] });

    expect(comparable(await listSubscribers(target.db))).toEqual(comparable(before));
    expect(before.find((row) => row.email === "ada@example.org")).toMatchObject({ cadence: "weekly", popularity: "trending", textOnly: true, pausedUntil: new Date("2026-07-01T00:00:00Z") });
    expect(before.find((row) => row.email === "alan@example.org")?.status).toBe("unsubscribed");
  });

  it("reads a phrase topic written unquoted in the field, and a field quoted the RFC 4180 way", async () => {
    const csv = ["email,topics", 'carol@example.org,agents;"mixture of experts"', 'dora@example.org,"diffusion video; ""video generation"""', 'erin@example.org,agents; "rl; ppo" ; cat:cs.AI'].join(
      "\n",
    );
    expect(await importSubscribers(target.db, csv, now)).toEqual({ imported: 3, rejected: [] });
    const rows = await listSubscribers(target.db);
    const topicsOf = (email: string) => rows.find((row) => row.email === email)?.topics;
    expect(topicsOf("carol@example.org")).toEqual(
      expect.arrayContaining([
        { kind: "keyword", query: "agents" },
        { kind: "phrase", query: "mixture of experts" },
      ]),
    );
    expect(topicsOf("dora@example.org")).toHaveLength(2);
    expect(topicsOf("dora@example.org")).toEqual(
      expect.arrayContaining([
        { kind: "keyword", query: "diffusion video" },
        { kind: "phrase", query: "video generation" },
      ]),
    );
    expect(topicsOf("erin@example.org")).toEqual(
      expect.arrayContaining([
        { kind: "phrase", query: "rl; ppo" },
        { kind: "category", query: "cs.AI" },
      ]),
    );
  });

  it("rejects a bad setting naming its column, and keeps the other rows", async () => {
    const csv = [
      "email,cadence,popularity,paused_until,status",
      "f1@example.org,hourly,,,",
      "f2@example.org,,loud,,",
      "f3@example.org,,,2026-02-30,",
      "f4@example.org,,,,deleted",
      "f5@example.org,weekly,niche,2026-06-01,active",
    ].join("\n");
    const result = await importSubscribers(target.db, csv, now);
    expect(result.imported).toBe(1);
    expect(result.rejected).toEqual([
      { line: 2, email: "f1@example.org", reason: "cadence: must be one of daily, weekdays, weekly" },
      { line: 3, email: "f2@example.org", reason: "popularity: must be one of niche, balanced, trending" },
      { line: 4, email: "f3@example.org", reason: 'paused_until: "2026-02-30" is not a date in the form YYYY-MM-DD' },
      { line: 5, email: "f4@example.org", reason: "status: must be one of active, pending, unsubscribed, bounced, complained" },
    ]);
  });

  it("refuses a file whose first line names a column it does not know, and imports none of it", async () => {
    const csv = ["email,timezon,send_hour", "tz1@example.org,Europe/Berlin,7", "tz2@example.org,Asia/Tokyo,8"].join("\n");
    await expect(importSubscribers(target.db, csv, now)).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/^unknown column "timezon" in the first line: rename or remove it; the columns are email, topics, max_papers, timezone, .*Nothing was imported\.$/),
    });
    expect(await target.db.subscriber.count({ where: { email: { in: ["tz1@example.org", "tz2@example.org"] } } })).toBe(0);
  });

  it("says how to quote a field that starts with a phrase", async () => {
    await expect(importSubscribers(target.db, 'email,topics\ngus@example.org,"mixture of experts";agents\n', now)).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining('quote the whole field and double the quotes inside, """mixture of experts""; agents'),
    });
  });
});
