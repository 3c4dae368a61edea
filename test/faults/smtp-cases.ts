// Fault cases on the SMTP side: a real sink that misbehaves on purpose, then the
// recovery the product promises — the relay back, runs or ticks at the default
// 15-minute cadence on a controlled clock (as the fault tests do).
import { createCircuitBreaker } from "../../src/delivery/circuit-breaker.ts";
import { createSmtpMailer } from "../../src/delivery/smtp-mailer.ts";
import { startQueue } from "../../src/digest/queue.ts";
import { runDigest } from "../../src/digest/run-digest.ts";
import { runTick } from "../../src/digest/tick.ts";
import { createWorld, type World } from "../helpers/digest-world.ts";
import { startSmtpSink, type Fault, type Reply, type SmtpScript } from "../helpers/smtp-sink.ts";
import { seedSubscribers, tallyCase, type Tally } from "./tally.ts";

export const DATE = "2026-05-14";
export const QUARTER = 15 * 60 * 1000;
export type CaseContext = { serverUrl: string; n: number; next: () => number };

/** A world with `n` subscribers whose relay follows `script` (which may change during the case). */
export async function seedWorld(ctx: CaseContext, script: SmtpScript = {}, start = `${DATE}T09:00:00Z`): Promise<{ world: World; emails: string[] }> {
  const world = await createWorld({ serverUrl: ctx.serverUrl, start, script });
  return { world, emails: await seedSubscribers(world.test.db, ctx.n) };
}

/** A seeded share of the addresses. */
export function pick(ctx: CaseContext, emails: string[], share: number): Set<string> {
  return new Set(emails.filter(() => ctx.next() < share));
}

/** Manual runs every 15 minutes until one finds nobody due and no retry is pending (at most 16: 4 hours, past the last backoff). */
async function runUntilSettled(world: World): Promise<number> {
  let runs = 0;
  for (; runs < 16; runs++) {
    const report = await runDigest(world.deps, { date: DATE });
    const pending = await world.test.db.delivery.count({ where: { status: "failed", nextAttemptAt: { not: null } } });
    if (report.counts.due === 0 && pending === 0) break;
    world.clock.advance(QUARTER);
  }
  return runs;
}

/** One address class misbehaves on its first `attempts` deliveries, then `paperboy run` every 15 minutes. */
export function firstAttemptFault(name: string, fault: Fault, share: number, attempts = 1) {
  return async (ctx: CaseContext): Promise<Tally> => {
    let faulty = new Set<string>();
    const { world, emails } = await seedWorld(ctx, { fault: (address, attempt) => (faulty.has(address) && attempt <= attempts ? fault : undefined) });
    faulty = pick(ctx, emails, share);
    try {
      const runs = await runUntilSettled(world);
      const tally = await tallyCase(world.test.db, name, world.sink.messages, emails);
      tally.notes.push(`${faulty.size} addresses faulted, ${runs + 1} runs`);
      return tally;
    } finally {
      await world.close();
    }
  };
}

/** Every RCPT answered `reply` by the first run and the runs of the next `hours` (every 15 minutes), then the relay fixed. */
export function relayWideReply(name: string, reply: Reply, hours: number) {
  return async (ctx: CaseContext): Promise<Tally> => {
    let broken = true;
    const { world, emails } = await seedWorld(ctx, { rejectRecipient: () => (broken ? reply : undefined) });
    try {
      const first = await runDigest(world.deps, { date: DATE });
      for (let i = 0; i < hours * 4; i++) {
        world.clock.advance(QUARTER);
        await runDigest(world.deps, { date: DATE });
      }
      broken = false;
      world.clock.advance(QUARTER);
      const runs = await runUntilSettled(world);
      const tally = await tallyCase(world.test.db, name, world.sink.messages, emails);
      const givenUp = await world.test.db.delivery.count({ where: { status: "failed", nextAttemptAt: null } });
      tally.notes.push(
        `first run: ${first.counts.failed} failed, ${first.counts.deferred} deferred, ALERT ${first.alert ? "shown" : "none"}; ${runs + 1} runs after the fix; ${givenUp} digests given up`,
      );
      return tally;
    } finally {
      await world.close();
    }
  };
}

/** "550 5.1.1" for a few addresses: exactly those suppressed, the rest sent. */
export async function recipientRefusal(ctx: CaseContext): Promise<Tally> {
  let bad = new Set<string>();
  const { world, emails } = await seedWorld(ctx, { rejectRecipient: (address) => (bad.has(address) ? "550 5.1.1 No such user" : undefined) });
  while (bad.size < Math.min(3, emails.length)) bad.add(emails[Math.floor(ctx.next() * emails.length)]!);
  try {
    await runUntilSettled(world);
    return await tallyCase(
      world.test.db,
      "recipient 5xx (5.1.1 for 3 addresses)",
      world.sink.messages,
      emails.filter((email) => !bad.has(email)),
      [...bad],
    );
  } finally {
    await world.close();
  }
}

/** The relay is down at the tick and for `hours` after it (ticks every 15 minutes meanwhile), then up; pg-boss, a worker, ticks every 15 minutes. */
export function smtpDownAtTick(hours: number) {
  return async (ctx: CaseContext): Promise<Tally> => {
    const { world, emails } = await seedWorld(ctx, {}, `${DATE}T08:00:00Z`);
    const probe = await startSmtpSink();
    await probe.close(); // connections to its port are refused until the relay is back
    const mailer = createSmtpMailer({ url: probe.url, maxConnections: 5 });
    const queue = await startQueue(world.test.url, world.deps.log);
    let relay: Awaited<ReturnType<typeof startSmtpSink>> | undefined;
    try {
      await queue.work({ ...world.deps, mailer, concurrency: 5, breaker: createCircuitBreaker({ now: world.deps.now }) }, 1);
      const tick = async () => {
        const report = await runTick({ db: world.test.db, log: world.deps.log, now: world.deps.now, sources: [], enqueue: (batch) => queue.enqueue(batch) });
        await waitUntilSettled(world);
        return report;
      };
      await tick();
      for (let i = 0; i < hours * 4; i++) {
        world.clock.advance(QUARTER);
        await tick();
      }
      relay = await startSmtpSink({}, probe.port);
      const back = world.clock.now.toISOString().slice(11, 16);
      let ticks = 0;
      for (let idle = 0; ticks < 12 && idle < 2; ticks++) {
        world.clock.advance(QUARTER);
        idle = (await tick()).due === 0 ? idle + 1 : 0;
      }
      const name = hours === 0 ? "SMTP down at the tick (up after it)" : `SMTP down at the tick and ${hours} h after it`;
      const tally = await tallyCase(world.test.db, name, relay.messages, emails);
      const givenUp = await world.test.db.delivery.count({ where: { status: "failed", nextAttemptAt: null } });
      tally.notes.push(`queue path; relay back at ${back} UTC, then ${ticks} ticks; ${givenUp} digests given up`);
      return tally;
    } finally {
      await queue.stop();
      await mailer.close();
      await relay?.close();
      await world.close();
    }
  };
}

/** Nothing is being sent or waiting for a worker (the workers are done with the last tick). */
export async function waitUntilSettled(world: World): Promise<void> {
  await waitFor(async () => (await world.test.db.delivery.count({ where: { OR: [{ status: "sending" }, { status: "queued", leaseUntil: { gt: world.clock.now } }] } })) === 0);
}

/** Polls `condition` every 20 ms; throws after `timeoutMs` (a stuck case, not a slow machine). */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("fault case stuck: condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
