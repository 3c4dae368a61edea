// Issue 12: two workers started at once on a fresh database raced to create the
// digest queue; PostgreSQL chose one as a deadlock victim and it died with
// "deadlock detected". Every process starting together must come up.
import { describe, expect, it } from "vitest";
import { startQueue } from "../../src/digest/queue.ts";
import { silentLog } from "../../src/log.ts";
import { createTestDatabase } from "../helpers/database.ts";

const ROUNDS = 4;
const PROCESSES = 3;

describe("queues started together on a fresh database", () => {
  it(`all start, ${ROUNDS} rounds of ${PROCESSES}`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const test = await createTestDatabase();
      try {
        const started = await Promise.allSettled(Array.from({ length: PROCESSES }, () => startQueue(test.url, silentLog)));
        const failures = started.flatMap((result) => (result.status === "rejected" ? [String(result.reason)] : []));
        for (const result of started) if (result.status === "fulfilled") await result.value.stop();
        expect(failures).toEqual([]);
      } finally {
        await test.drop();
      }
    }
  });
});
