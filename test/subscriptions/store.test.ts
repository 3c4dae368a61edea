import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addSubscriber, listSubscribers, normaliseEmail } from "../../src/subscriptions/store.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

describe("normaliseEmail", () => {
  it.each([
    ["Ada@Example.ORG", "ada@example.org"],
    ["  grace.hopper+papers@navy.example.com ", "grace.hopper+papers@navy.example.com"],
  ])("accepts %j", (input, expected) => {
    expect(normaliseEmail(input)).toBe(expected);
  });

  it.each([
    ["", /empty/],
    ["ada", /name@example\.org/],
    ["ada@localhost", /name@example\.org/],
    ["ada@example.org\r\nBcc: victim@example.org", /line break/],
    ["ada@example.org, eve@example.org", /exactly one address/],
    ["ada@example.org;eve@example.org", /exactly one address/],
    ["a@b@example.org", /exactly one address/],
    ['"Ada" <ada@example.org>', /exactly one address|name@example/],
    [`${"a".repeat(250)}@example.org`, /longer than 254/],
    [`${"a".repeat(65)}@example.org`, /name@example\.org/],
  ])("rejects %j", (input, message) => {
    expect(() => normaliseEmail(input)).toThrow(message);
  });
});

describe("addSubscriber", () => {
  let test: TestDatabase;
  const now = new Date("2026-05-14T06:00:00Z");
  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(async () => {
    await test.drop();
  });

  it("stores an active subscriber with consent and shares identical topics", async () => {
    await addSubscriber(test.db, { email: "Ada@example.org", topics: ["Agents", '"Mixture of Experts"'], source: "cli" }, now);
    const grace = await addSubscriber(test.db, { email: "grace@example.org", topics: ["agents"], maxPapers: 3, source: "cli" }, now);
    expect(grace).toMatchObject({ email: "grace@example.org", status: "active", maxPapers: 3, topics: [{ kind: "keyword", query: "agents" }] });
    expect(await test.db.topic.count()).toBe(2);
    const row = await test.db.subscriber.findUniqueOrThrow({ where: { email: "ada@example.org" } });
    expect(row).toMatchObject({ consentSource: "cli", consentAt: now, confirmedAt: now });
    expect((await listSubscribers(test.db)).map((s) => s.email)).toEqual(["ada@example.org", "grace@example.org"]);
  });

  it.each([
    [{ email: "not an email", topics: ["agents"] }, "INVALID_EMAIL"],
    [{ email: "new1@example.org", topics: ["agents", '"broken'] }, "INVALID_TOPIC"],
    [{ email: "new2@example.org", topics: Array.from({ length: 51 }, (_, i) => `topic${i}`) }, "INVALID_TOPIC"],
    [{ email: "new3@example.org", topics: [], maxPapers: 0 }, "INVALID_ARGUMENT"],
    [{ email: "ADA@example.org", topics: [] }, "INVALID_ARGUMENT"],
  ])("refuses %j and writes nothing", async (input, code) => {
    const before = { subscribers: await test.db.subscriber.count(), topics: await test.db.topic.count() };
    await expect(addSubscriber(test.db, { ...input, source: "cli" }, now)).rejects.toMatchObject({ code });
    expect({ subscribers: await test.db.subscriber.count(), topics: await test.db.topic.count() }).toEqual(before);
  });
});
