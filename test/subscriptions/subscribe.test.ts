import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PENDING_LIFETIME_MS, purgeExpiredPending } from "../../src/subscriptions/subscribe.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

let test: TestDatabase;
beforeAll(async () => {
  test = await createTestDatabase();
});
afterAll(async () => {
  await test.drop();
});

describe("purgeExpiredPending", () => {
  it("deletes only subscriptions left unconfirmed for longer than the confirm link lives", async () => {
    const now = new Date("2026-05-14T12:00:00Z");
    const ago = (ms: number) => new Date(now.getTime() - ms);
    await test.db.subscriber.createMany({
      data: [
        { email: "stale@example.org", status: "pending", createdAt: ago(PENDING_LIFETIME_MS + 1) },
        { email: "fresh@example.org", status: "pending", createdAt: ago(PENDING_LIFETIME_MS - 60_000) },
        { email: "active@example.org", status: "active", createdAt: ago(30 * 86_400_000), confirmedAt: ago(30 * 86_400_000) },
        { email: "left@example.org", status: "unsubscribed", createdAt: ago(30 * 86_400_000) },
      ],
    });
    expect(await purgeExpiredPending(test.db, now)).toBe(1);
    expect((await test.db.subscriber.findMany({ orderBy: { email: "asc" } })).map((row) => row.email)).toEqual(["active@example.org", "fresh@example.org", "left@example.org"]);
    expect(await purgeExpiredPending(test.db, now)).toBe(0);
  });
});
