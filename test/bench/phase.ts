// One measured phase of `npm run bench`, in its own process so that its peak RSS
// is its own: `planning` (select + match + render, no sending), `delivery` (the
// worker path into the SMTP sink, then a bare nodemailer pool on the same sink) or
// `web` (the web app, under the parent's load).
// Prints one JSON line.
import { readdirSync, readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createApp } from "../../src/web/app.ts";
import nodemailer from "nodemailer";
import { createDb, type Db } from "../../src/db/client.ts";
import type { OutgoingMessage } from "../../src/delivery/mailer.ts";
import { nodemailerOptions } from "../helpers/nodemailer-reference.ts";
import { createSmtpMailer } from "../../src/delivery/smtp-mailer.ts";
import { pickPapers, type Candidates } from "../../src/matching/candidates.ts";
import { loadCandidates, prepareTopics, type CandidateCache } from "../../src/sources/candidates.ts";
import { composeFor, loadPageState, processBatch } from "../../src/digest/worker.ts";
import { batchWindow, digestWindow, type Cadence } from "../../src/digest-key.ts";
import { findDue, toBatches, type DueEntry } from "../../src/digest/plan.ts";
import { silentLog } from "../../src/log.ts";
import { loadTemplates, type Templates } from "../../src/rendering/templates.ts";
import { loadActiveSubscribers } from "../../src/subscriptions/store.ts";
import { BENCH_DAY, BENCH_MAIL, BENCH_NOW } from "./population.ts";

const [phase, databaseUrl, sinkPort, postmasterPid] = process.argv.slice(2);
/** The benchmark's PostgreSQL server process. */
const postmaster = Number(postmasterPid);
const CONCURRENCY = 10;
const db = createDb(databaseUrl!);
const templates = await loadTemplates();
const dbClock = { ms: 0 };
const progress = (done: number) => process.send?.({ progress: done });

/** Adds the time an awaited database call takes to the phase's database time. */
async function timed<T>(call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await call();
  } finally {
    dbClock.ms += performance.now() - started;
  }
}

/** Due pages with their subscribers and page state loaded; the next page is fetched while the caller works on this one. */
async function* prefetchedPages(candidates: Candidates) {
  const pages = findDue(db, { now: BENCH_NOW });
  const load = async () => {
    const next = await timed(() => pages.next());
    if (next.done) return undefined;
    const subscribers = await timed(() =>
      loadActiveSubscribers(
        db,
        next.value.due.map((entry: DueEntry) => entry.id),
      ),
    );
    const state = await timed(() => loadPageState(db, subscribers, candidates, `daily:${BENCH_DAY}`));
    // As deliverPage does: the statistics of the page's topic words the candidates lack.
    await timed(() =>
      prepareTopics(
        db,
        candidates,
        subscribers.flatMap((subscriber) => subscriber.topics),
      ),
    );
    return { subscribers, state };
  };
  let pending = load();
  for (;;) {
    const page = await pending;
    if (!page) return;
    pending = load();
    yield page;
  }
}

async function planning() {
  const started = performance.now();
  const candidates = await timed(() => loadCandidates(db, batchWindow("daily", BENCH_DAY, 2), []));
  let digests = 0;
  let bytes = 0;
  let computeMs = 0;
  for await (const { subscribers, state } of prefetchedPages(candidates)) {
    let computing = performance.now();
    for (let i = 0; i < subscribers.length; i++) {
      const subscriber = subscribers[i]!;
      if (state.suppressed.has(subscriber.id)) continue;
      const { since } = digestWindow({ cadence: subscriber.cadence as Cadence, day: BENCH_DAY, overlapDays: 2, previousDay: state.previous.get(subscriber.id) });
      const picks = pickPapers(candidates, subscriber, state.sent.get(subscriber.id) ?? new Set(), state.profiles.get(subscriber.id), since);
      if (picks.length === 0) continue;
      const message = composeFor({ templates, mail: BENCH_MAIL, now: () => BENCH_NOW }, subscriber, { key: `daily:${BENCH_DAY}`, date: BENCH_DAY, entries: picks });
      bytes += message.html.length + message.text.length;
      digests++;
      // Let the prefetch's queries go out and come back while this page is worked on.
      if (i % 100 === 99) {
        computeMs += performance.now() - computing;
        await new Promise((resolve) => setImmediate(resolve));
        computing = performance.now();
      }
    }
    computeMs += performance.now() - computing;
    progress(digests);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    digests,
    seconds,
    computeSeconds: computeMs / 1000,
    dbSeconds: dbClock.ms / 1000,
    avgMessageKb: bytes / Math.max(1, digests) / 1024,
    distinctTopics: candidates.compiled.size,
    sharedRankings: candidates.rankings.size,
  };
}

async function delivery() {
  const url = `smtp://127.0.0.1:${sinkPort}`;
  const mailer = createSmtpMailer({ url, maxConnections: CONCURRENCY });
  const deps = { db, mailer, templates, log: silentLog, now: () => BENCH_NOW, mail: BENCH_MAIL, lookbackDays: 2, concurrency: CONCURRENCY };
  const cache: CandidateCache = new Map();
  let started = performance.now();
  let sent = 0;
  let bytes = 0;
  let sample: OutgoingMessage | undefined;
  const send = mailer.send.bind(mailer);
  mailer.send = async (message) => {
    bytes += message.html.length + message.text.length;
    sample = message;
    return send(message);
  };
  let cpu = process.cpuUsage();
  let postgres = postgresCpuMs();
  for await (const page of findDue(db, { now: BENCH_NOW })) {
    for (const batch of toBatches(page.due)) sent += (await processBatch(deps, batch, cache)).sent;
    progress(sent);
  }
  const e2eSeconds = (performance.now() - started) / 1000;
  const e2eCpuMs = cpuMs(process.cpuUsage(cpu));
  const e2ePostgresCpuMs = postgresCpuMs() - postgres;
  await mailer.close();

  // The baseline: a bare nodemailer pool with as many connections sending one of
  // the digests just sent (same size, same headers) as often, to other addresses.
  const raw = nodemailer.createTransport({ url, pool: true, maxConnections: CONCURRENCY } as Parameters<typeof nodemailer.createTransport>[0]);
  const { messageId: _, ...options } = sample ? nodemailerOptions(sample) : {};
  started = performance.now();
  cpu = process.cpuUsage();
  postgres = postgresCpuMs();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < sent) {
        const i = next++;
        await raw.sendMail({ ...options, to: `raw${i}@raw.example` });
        if (i % 500 === 0) progress(sent + i);
      }
    }),
  );
  const rawSeconds = (performance.now() - started) / 1000;
  const rawCpuMs = cpuMs(process.cpuUsage(cpu));
  const rawPostgresCpuMs = postgresCpuMs() - postgres;
  raw.close();
  const perMessage = (ms: number) => ms / Math.max(1, sent);
  return {
    sent,
    e2eSeconds,
    rawSeconds,
    avgMessageKb: bytes / Math.max(1, sent) / 1024,
    e2eCpuMsPerMessage: perMessage(e2eCpuMs),
    rawCpuMsPerMessage: perMessage(rawCpuMs),
    e2ePostgresCpuMsPerMessage: perMessage(e2ePostgresCpuMs),
    rawPostgresCpuMsPerMessage: perMessage(rawPostgresCpuMs),
  };
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

/**
 * CPU time used so far by the benchmark's own PostgreSQL: its postmaster and the
 * postmaster's children (backends, writers), never another server on the machine
 * (Linux /proc; 0 elsewhere).
 */
function postgresCpuMs(): number {
  let ticks = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // fields[1] is the parent's pid
      if (Number(pid) !== postmaster && Number(fields[1]) !== postmaster) continue;
      // utime, stime, and cutime, cstime: the postmaster collects the time of backends that have exited
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // the process ended
    }
  }
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/**
 * The web app in this process, for the parent's load (autocannon on /api/preview):
 * says where it listens, starts measuring the event loop's delay when told
 * ("measure"), and reports it with the process's CPU time when told ("stop").
 */
async function web() {
  const mailer = createSmtpMailer({ url: `smtp://127.0.0.1:${sinkPort}` });
  const app = await createApp({ db, mailer, templates, mail: { ...BENCH_MAIL }, now: () => BENCH_NOW, log: silentLog, lookbackDays: 2 });
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  const delay = monitorEventLoopDelay({ resolution: 5 });
  let cpu = process.cpuUsage();
  let postgres = postgresCpuMs();
  const told = (type: string) => new Promise<void>((resolve) => process.on("message", (message: { type?: string }) => message.type === type && resolve()));
  const measuring = told("measure").then(() => {
    delay.reset();
    delay.enable();
    cpu = process.cpuUsage();
    postgres = postgresCpuMs();
    process.send?.({ measuring: true });
  });
  process.send?.({ listening: address });
  await measuring;
  await told("stop");
  delay.disable();
  const cpuUsed = cpuMs(process.cpuUsage(cpu));
  const postgresUsed = postgresCpuMs() - postgres;
  await app.close();
  await mailer.close();
  return {
    eventLoopP50Ms: delay.percentile(50) / 1e6,
    eventLoopP99Ms: delay.percentile(99) / 1e6,
    eventLoopMaxMs: delay.max / 1e6,
    cpuMs: cpuUsed,
    postgresCpuMs: postgresUsed,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

const result = phase === "planning" ? await planning() : phase === "web" ? await web() : await delivery();
await db.$disconnect();
process.send?.({ result: { ...result, peakRssMb: process.resourceUsage().maxRSS / 1024 } });
process.disconnect?.();
