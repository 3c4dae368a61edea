// A worker SIGKILLed at random points of a batch, 20 times, then resumed: nobody
// is lost, and the only duplicates are sends whose outcome was not committed at a
// kill — in flight, or recorded but waiting for the ledger's next batch commit —
// each one flagged as a possible duplicate. The kill points come from a seed, printed
// first: PAPERBOY_TEST_SEED=<seed> npx vitest run test/digest/crash-resume.test.ts
// replays a failure.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LEDGER_BATCH } from "../../src/delivery/ledger-writer.ts";
import { createWorld, type World } from "../helpers/digest-world.ts";
import { loadSeed, random } from "../helpers/seeded-random.ts";
import { startCrashWorker } from "../helpers/start-crash-worker.ts";

const SUBSCRIBERS = 300;
const KILLS = 20;
const IN_FLIGHT = 5; // the child's concurrency
/** Sent but not committed at a kill, at most: in flight, plus the ledger writer's window (a batch committing and one filling, each up to rows + lanes). */
const UNCOMMITTED = IN_FLIGHT + 2 * (LEDGER_BATCH.rows + IN_FLIGHT);
let world: World;

beforeAll(async () => {
  world = await createWorld({ start: "2026-05-14T09:00:00Z" });
  await world.test.db.subscriber.createMany({ data: Array.from({ length: SUBSCRIBERS }, (_, i) => ({ email: `r${i}@example.org`, status: "active" as const, maxPapers: 2 })) });
});
afterAll(async () => {
  await world.close();
});

const startWorker = (iteration: number) => startCrashWorker(world.test.url, world.sink.url, iteration);

describe("crash and resume", () => {
  it(`loses nobody and flags every duplicate across ${KILLS} SIGKILLs`, async () => {
    const seed = loadSeed();
    console.log(`crash test: seed ${seed} (replay with PAPERBOY_TEST_SEED=${seed})`);
    const next = random(seed);
    let kills = 0;
    /** Recipients whose digest was claimed and not recorded when a worker was killed: the only ones a copy may go to twice. */
    const uncommitted = new Set<string>();
    for (let i = 0; i < KILLS; i++) {
      const before = world.sink.messages.length;
      const target = before + 1 + Math.floor(next() * 25);
      const { child, exited } = startWorker(i);
      // Kill once the sink has seen a random number of new messages (or the worker finished).
      let done = false;
      void exited.then(() => (done = true));
      await expect.poll(() => done || world.sink.messages.length >= target, { interval: 5 }).toBe(true);
      if (!done) {
        child.kill("SIGKILL");
        kills++;
      }
      const result = await exited;
      for (const row of await world.test.db.delivery.findMany({ where: { status: "sending" }, include: { subscriber: true } })) uncommitted.add(row.subscriber.email);
      expect(result.signal === "SIGKILL" || result.code === 0, `seed ${seed}, run ${i}: ${result.stderr}`).toBe(true);
    }
    const final = await startWorker(KILLS + 1).exited;
    expect(final.code, `seed ${seed}: ${final.stderr}`).toBe(0);

    const rows = await world.test.db.delivery.findMany({ include: { subscriber: true } });
    expect(rows).toHaveLength(SUBSCRIBERS);
    expect(rows.filter((row) => row.status !== "sent")).toEqual([]);
    const perRecipient = new Map<string, number>();
    for (const message of world.sink.messages) perRecipient.set(message.to[0]!, (perRecipient.get(message.to[0]!) ?? 0) + 1);
    expect(perRecipient.size).toBe(SUBSCRIBERS);
    const duplicates = world.sink.messages.length - SUBSCRIBERS;
    const flagged = new Set(rows.filter((row) => row.possibleDuplicate).map((row) => row.subscriber.email));
    for (const [email, count] of perRecipient) {
      if (count === 1) continue;
      expect(flagged.has(email), `${email} received ${count} times`).toBe(true);
      expect(uncommitted.has(email), `${email} received ${count} times but was never left uncommitted by a kill`).toBe(true);
    }
    expect(duplicates).toBeLessThanOrEqual(kills * UNCOMMITTED);
    console.log(
      `crash test (seed ${seed}): ${SUBSCRIBERS} subscribers, ${KILLS + 2} worker runs, ${kills} killed mid-batch, 0 lost, ${duplicates} duplicate emails, all among the ${uncommitted.size} digests left claimed and unrecorded by a kill (≤ ${kills} × ${UNCOMMITTED} in flight or uncommitted), ${flagged.size} flagged as possible duplicates`,
    );
  }, 900_000); // 22 worker processes: ~2 min on an idle machine, over 5 on a loaded one
});
