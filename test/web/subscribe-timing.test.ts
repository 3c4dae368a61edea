// Issue 12, item 7: the answer to a subscribe request must not tell by its timing
// whether the address is new, pending, active, suppressed or complained. The
// relay here is slow (it answers each message 250 ms late), as real ones are;
// the confirmation email goes out after the answer, so no state may answer slower.
// 50 requests per state, in seeded random order (rounds of one per state, so a
// load spike hits states alike), one at a time; every pair of states must pass two rank tests and have
// close medians. The same holds for the request *after* each one, which would
// show a processor that slows the event loop down after its own answer.
// Replay an order: PAPERBOY_TEST_SEED=<seed> npx vitest run test/web/subscribe-timing.test.ts
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashAddress } from "../../src/subscriptions/store.ts";
import { loadSeed, random, shuffle } from "../helpers/seeded-random.ts";
import { kolmogorovSmirnov, mannWhitneyU, median } from "../helpers/two-sample.ts";
import { startTestApp, type TestApp } from "../helpers/web-app.ts";

const STATES = ["new", "pending", "active", "suppressed", "complained"] as const;
type State = (typeof STATES)[number];
const PER_STATE = 50;
const RELAY_DELAY_MS = 250;
/** For the whole comparison: split (Bonferroni) over every pair and both tests. */
const ALPHA = 0.001;
/** No state's median answer time may exceed another's by this much (a 250 ms relay inside the request would). */
const MEDIAN_MARGIN_MS = 100;

let t: TestApp;
const address = (state: State | "warm-up", i: number) => `${state}-${i}@example.org`;

beforeAll(async () => {
  t = await startTestApp({ smtp: { dataDelayMs: RELAY_DELAY_MS } });
  const now = new Date();
  const range = Array.from({ length: PER_STATE }, (_, i) => i);
  // Known addresses as a prober finds them: mailed a moment ago (within the cooldown).
  await t.test.db.subscriber.createMany({
    data: [
      ...range.map((i) => ({ email: address("pending", i), status: "pending" as const, lastConfirmationAt: now })),
      ...range.map((i) => ({ email: address("active", i), status: "active" as const, confirmedAt: now, lastConfirmationAt: now })),
      ...range.map((i) => ({ email: address("complained", i), status: "complained" as const, lastConfirmationAt: now })),
    ],
  });
  await t.test.db.suppression.createMany({ data: range.map((i) => ({ addressHash: hashAddress(address("suppressed", i)), reason: "hard bounce" })) });
});
afterAll(async () => {
  await t.close();
});

async function timeSubscribe(email: string): Promise<{ ms: number; status: number; body: string }> {
  const start = process.hrtime.bigint();
  const response = await fetch(`${t.baseUrl}/api/subscribe`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, topics: ["agents"] }) });
  const body = await response.text();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, status: response.status, body };
}

/** Per pair of groups: both p-values and the difference of medians; fails listing every pair that can be told apart. */
function expectIndistinguishable(label: string, groups: Map<string, number[]>): void {
  const names = [...groups.keys()];
  const pairs = names.flatMap((a, i) => names.slice(i + 1).map((b) => [a, b] as const));
  const threshold = ALPHA / (pairs.length * 2);
  const rows = pairs.map(([a, b]) => {
    const [x, y] = [groups.get(a)!, groups.get(b)!];
    return { pair: `${a} / ${b}`, mannWhitneyP: mannWhitneyU(x, y), ksP: kolmogorovSmirnov(x, y), medianGapMs: Math.abs(median(x) - median(y)) };
  });
  const medians = names.map((name) => `${name} ${median(groups.get(name)!).toFixed(1)} ms`).join(", ");
  console.log(`${label}: medians ${medians}; smallest p ${Math.min(...rows.flatMap((row) => [row.mannWhitneyP, row.ksP])).toExponential(2)} (threshold ${threshold.toExponential(2)})`);
  const distinguishable = rows.filter((row) => row.mannWhitneyP <= threshold || row.ksP <= threshold || row.medianGapMs > MEDIAN_MARGIN_MS);
  expect(distinguishable, `${label} (medians: ${medians})`).toEqual([]);
}

describe("subscribe answer times", () => {
  it(`cannot tell ${STATES.join(", ")} addresses apart, with a ${RELAY_DELAY_MS} ms relay`, async () => {
    const seed = loadSeed();
    console.log(`subscribe timing: seed ${seed} (replay with PAPERBOY_TEST_SEED=${seed} npx vitest run test/web/subscribe-timing.test.ts)`);
    // Warm up (JIT, connections, the relay's first sessions), then start from an empty queue.
    for (let i = 0; i < 20; i++) await timeSubscribe(address("warm-up", i));
    await t.settle();

    // Rounds of one request per state, each round in its own random order: a burst of load lasting seconds lands on every state alike.
    const next = random(seed);
    const order = Array.from({ length: PER_STATE }, (_, i) => shuffle(STATES, next).map((state) => ({ state, email: address(state, i) }))).flat();
    const results: { state: State; ms: number }[] = [];
    let firstBody: string | undefined;
    for (const { state, email } of order) {
      const { ms, status, body } = await timeSubscribe(email);
      expect(status).toBe(202);
      firstBody ??= body;
      expect(body).toBe(firstBody);
      results.push({ state, ms });
    }

    // The work did happen, after the answers: one email per new address, none to the others.
    await t.settle();
    const mailed = new Set(t.sink.messages.flatMap((message) => message.to));
    for (const state of STATES) expect([state, Array.from({ length: PER_STATE }, (_, i) => mailed.has(address(state, i))).filter(Boolean).length]).toEqual([state, state === "new" ? PER_STATE : 0]);

    const byState = new Map(STATES.map((state) => [state, results.filter((result) => result.state === state).map((result) => result.ms)]));
    expectIndistinguishable("answer time by the address's state", byState);
    const byPrevious = new Map(
      STATES.map((state) => [
        `after ${state}`,
        results
          .slice(1)
          .filter((_, i) => results[i]!.state === state)
          .map((result) => result.ms),
      ]),
    );
    expectIndistinguishable("answer time by the previous request's state", byPrevious);
  });
});
