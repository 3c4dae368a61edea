// `npm run bench`: builds synthetic populations in a fresh embedded PostgreSQL and
// measures, each phase in its own process against an SMTP sink in another:
//   planning   select + match + render per second, no sending (M = 50 and 500 papers)
//   delivery   the worker path end to end into the sink, vs a bare nodemailer pool
//              sending as many equally large messages to the same sink
//   workers    a tick enqueues on pg-boss; 1 and then 2 `paperboy worker` processes send
//   text       summarise, toTerms and cleanText on 10k–1M characters without a sentence end
//   render     MJML compiled per recipient (the naive way) vs compiled once
//   ingest     a 5 000-paper file ingested, then ingested again (papers/s)
//   web        readers typing on the manage page: /api/preview latency and event-loop delay at 5 000 papers
// with peak RSS and database time. Prints a table (stderr) and JSON (stdout).
// Options: --sizes 10000,100000  --papers 50,500,2000  --workers 1,2  --delivery-sizes 10000  --history 5000
//          --phases text,planning,delivery,workers  --quick (10 000 only)
import { fork, spawn, type ChildProcess } from "node:child_process";
import { Console } from "node:console";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import mjml2html from "mjml";
import pg from "pg";
import { createDb, type Db } from "../../src/db/client.ts";
import { startEmbeddedPostgres } from "../../src/db/embedded-postgres.ts";
import { migrateDatabase } from "../../src/db/migrate.ts";
import { startQueue } from "../../src/digest/queue.ts";
import { runTick } from "../../src/digest/tick.ts";
import { silentLog } from "../../src/log.ts";
import { startProgress } from "../../src/cli/progress.ts";
import { renderDigest } from "../../src/rendering/render-digest.ts";
import { loadTemplates } from "../../src/rendering/templates.ts";
import autocannon from "autocannon";
import { signToken } from "../../src/subscriptions/tokens.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { BENCH_MAIL, BENCH_NOW, dayPapers, describePopulation, realTopics, seedHistory, seedPapers, seedSubscribers, warmAssociations } from "./population.ts";
import { measureText } from "./text.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const arg = (name: string, fallback: number[]) => {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const values = (process.argv[at + 1] ?? "").split(",").map(Number);
  if (!values.every((value) => Number.isInteger(value) && value > 0)) {
    console.error(`--${name} takes whole numbers above 0 separated by commas, e.g. --${name} ${fallback.join(",")}`);
    process.exit(2);
  }
  return values;
};
const SIZES = arg("sizes", process.argv.includes("--quick") ? [10_000] : [10_000, 100_000]);
/** Papers on the day: the Hugging Face listing (~50), and arXiv's cs.* at two volumes (500, and 2 000 as on a busy day). */
const PAPER_COUNTS = arg("papers", [50, 500, 2000]);
const WORKER_COUNTS = arg("workers", [1, 2]);
/** Papers ingested on the days before: the history rarity and term associations come from. */
const [HISTORY = 5000] = arg("history", [5000]);
/** Sizes at which delivery and workers are measured too (sending 100 000 messages takes a while). */
const DELIVERY_SIZES = arg("delivery-sizes", SIZES);
const PHASES = (process.argv[process.argv.indexOf("--phases") + 1] ?? "").split(",");
/** --phases planning,delivery,workers (default: all) */
const runs = (phase: string) => !process.argv.includes("--phases") || PHASES.includes(phase);
/** Sends in flight per process, as PAPERBOY_SMTP_CONCURRENCY. */
const CONCURRENCY = 10;
/** V8 heap limits for the measured processes, as the README recommends for workers (RSS stays bounded). */
const HEAP_FLAGS = (process.env.BENCH_HEAP_FLAGS ?? "--max-old-space-size=192 --max-semi-space-size=4").split(" ");

/** The benchmark's own PostgreSQL server: only its processes' CPU time is counted. */
let postmasterPid = 0;

type Row = Record<string, string | number>;
const rows: Row[] = [];
/** Keeps a result row and shows it at once: a full run takes a while. */
const record = (row: Row) => {
  rows.push(row);
  say(
    `  ${Object.entries(row)
      .map(([key, value]) => `${key} ${value}`)
      .join(" · ")}`,
  );
};
const say = (message: string) => process.stderr.write(`${message}\n`);
const round = (value: number, digits = 1) => Number(value.toFixed(digits));
const quiet = Boolean(process.env.CI);

/** Candidate papers and readers typing at once in the web phase (the issue's budget: preview p99 ≤ 50 ms, event-loop delay p99 ≤ 20 ms). */
const WEB_PAPERS = 5_000;
const WEB_READERS = 20;
const WEB_SECONDS = Number(process.env.BENCH_WEB_SECONDS ?? 15);
const KEYSTROKES_PER_SECOND = 3;
/** Previews asked one after another, before the load: their latency is a preview's own cost. */
const SEQUENTIAL_PREVIEWS = 40;

async function main() {
  const root = await mkdtemp(path.join(tmpdir(), "paperboy-bench-"));
  await chmod(root, 0o755);
  const phases = ["text", "ingest", "web", "render", "planning", "delivery", "workers"].filter(runs);
  const populations = ["planning", "delivery", "workers"].some(runs) ? `; ${SIZES.join(" and ")} subscribers × ${PAPER_COUNTS.join(" and ")} papers; workers ${WORKER_COUNTS.join(" vs ")}` : "";
  say(`paperboy bench: ${phases.join(", ")}${populations}`);
  const server = await startEmbeddedPostgres(path.join(root, "postgres"));
  postmasterPid = server.pid;
  const sink = await startSink();
  try {
    if (runs("text")) record({ phase: "text", ...measureText() });
    if (runs("ingest")) record({ phase: "ingest", ...(await measureIngest(server.serverUrl)) });
    if (runs("web")) record({ phase: "web", papers: WEB_PAPERS, readers: WEB_READERS, ...(await measureWeb(server.serverUrl, sink).catch(failed)) });
    if (runs("render")) record({ phase: "render", ...(await measureRender()) });
    for (const size of ["planning", "delivery", "workers"].some(runs) ? SIZES : []) {
      for (const papers of PAPER_COUNTS) {
        const url = await freshDatabase(server.serverUrl, `bench_${size}_${papers}`);
        const db = createDb(url);
        const seeding = performance.now();
        await seedHistory(db, HISTORY);
        await seedSubscribers(db, size);
        // The day's ingest, as the scheduler runs it: counting the papers and refreshing the term associations they bear on.
        const ingesting = performance.now();
        await seedPapers(db, papers);
        const ingestSeconds = round((performance.now() - ingesting) / 1000);
        // The other wordings' associations, as earlier ingests left them.
        const wordings = await warmAssociations(db);
        const population = await describePopulation(db);
        say(
          `${size} subscribers, ${papers} papers (and ${HISTORY} before): seeded in ${round((performance.now() - seeding) / 1000)} s; the day's ingest took ${ingestSeconds} s; ${wordings} topic wordings; ` +
            `${population.topicsUsed} topics followed, ${population.topicSets} distinct topic sets, ${population.meanTopics} topics per reader on average (at most ${population.maxTopics}), ${population.duplicateTitles} papers with another's title`,
        );
        record({ phase: "population", subscribers: size, papers, history: HISTORY, ...population });
        if (runs("planning")) {
          const planning = await runPhase<PlanningResult>("planning", url, sink, `planning ${size}×${papers}`, size).catch((error: unknown) => failed(error));
          if ("failed" in planning) record({ phase: "planning", subscribers: size, papers, ...planning });
          else
            record({
              phase: "planning",
              subscribers: size,
              papers,
              perSecond: Math.round(planning.digests / planning.seconds),
              digests: planning.digests,
              seconds: round(planning.seconds),
              pickAndRenderUs: Math.round((planning.computeSeconds * 1e6) / Math.max(1, planning.digests)),
              dbSeconds: round(planning.dbSeconds),
              peakRssMb: Math.round(planning.peakRssMb),
              messageKb: round(planning.avgMessageKb),
              sharedRankings: planning.sharedRankings,
            });
        }
        if (papers === PAPER_COUNTS[0] && DELIVERY_SIZES.includes(size) && runs("delivery")) {
          await sink.reset();
          const delivery = await runPhase<DeliveryResult>("delivery", url, sink, `delivery ${size}×${papers}`, size * 2);
          const stats = await sink.stats();
          const e2e = delivery.sent / delivery.e2eSeconds;
          const raw = delivery.sent / delivery.rawSeconds;
          record({
            phase: "delivery",
            subscribers: size,
            papers,
            perSecond: Math.round(e2e),
            rawPerSecond: Math.round(raw),
            ratio: `${Math.round((100 * e2e) / raw)}%`,
            digests: delivery.sent,
            seconds: round(delivery.e2eSeconds),
            peakRssMb: Math.round(delivery.peakRssMb),
            messageKb: round(delivery.avgMessageKb),
            duplicates: stats.duplicates,
            cpuMsPerMessage: `${round(delivery.e2eCpuMsPerMessage, 2)} vs ${round(delivery.rawCpuMsPerMessage, 2)}`,
            postgresCpuMsPerMessage: `${round(delivery.e2ePostgresCpuMsPerMessage, 2)} vs ${round(delivery.rawPostgresCpuMsPerMessage, 2)}`,
          });
        }
        if (papers === PAPER_COUNTS[0] && DELIVERY_SIZES.includes(size) && runs("workers")) {
          for (const workers of WORKER_COUNTS) record({ phase: `${workers} worker process${workers > 1 ? "es" : ""}`, subscribers: size, papers, ...(await measureWorkers(db, url, sink, workers)) });
        }
        await db.$disconnect();
      }
    }
  } finally {
    sink.child.kill();
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
  // The table for people on stderr, the JSON alone on stdout.
  const stderr = new Console({ stdout: process.stderr });
  stderr.log();
  stderr.table(rows);
  console.log(JSON.stringify({ machine: machine(), concurrency: CONCURRENCY, rows }, null, 2));
}

function machine() {
  return { node: process.version, cpus: availableParallelism(), date: new Date().toISOString() };
}

async function freshDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  await migrateDatabase(`${serverUrl}/${name}`);
  return `${serverUrl}/${name}`;
}

type PlanningResult = { digests: number; seconds: number; computeSeconds: number; dbSeconds: number; avgMessageKb: number; sharedRankings: number; peakRssMb: number };
type DeliveryResult = {
  sent: number;
  e2eSeconds: number;
  rawSeconds: number;
  avgMessageKb: number;
  peakRssMb: number;
  e2eCpuMsPerMessage: number;
  rawCpuMsPerMessage: number;
  e2ePostgresCpuMsPerMessage: number;
  rawPostgresCpuMsPerMessage: number;
};

/** A phase that failed (a process out of memory, say) is a row that says so; the other phases still run. */
const failed = (error: unknown): { failed: string } => ({ failed: String(error instanceof Error ? error.message : error).slice(0, 200) });

/** BENCH_PROFILE=<dir>: each measured phase writes a CPU profile there. */
const profileFlags = () => (process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_PROFILE] : []);

/** Runs test/bench/phase.ts in a child process, showing its progress. */
function runPhase<PhaseResult extends object>(phase: "planning" | "delivery", databaseUrl: string, sink: Sink, label: string, total: number): Promise<PhaseResult> {
  const child = fork(fileURLToPath(new URL("./phase.ts", import.meta.url)), [phase, databaseUrl, String(sink.port), String(postmasterPid)], {
    execArgv: [...HEAP_FLAGS, "--import", "tsx", ...profileFlags()],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const progress = startProgress(label, total, { quiet });
  return new Promise((resolve, reject) => {
    let result: PhaseResult | undefined;
    child.on("message", (message: { progress?: number; result?: PhaseResult }) => {
      if (message.progress !== undefined) progress.update(message.progress);
      if (message.result) result = message.result;
    });
    child.on("exit", (code) => {
      progress.stop();
      if (result) resolve(result);
      else reject(new Error(`bench phase ${phase} exited with code ${code}`));
    });
  });
}

/** Handlebars-filled MJML compiled per recipient (the naive way) vs paperboy's renderer (MJML compiled once, cards shared). */
async function measureRender() {
  const templates = await loadTemplates();
  const source = await readFile(path.join(ROOT, "templates/emails/digest/html.mjml"), "utf8");
  const handlebars = Handlebars.create();
  handlebars.registerHelper("plural", (count: number, one: string, many: string) => (count === 1 ? one : many));
  const fill = handlebars.compile(source);
  const papers = Array.from({ length: 8 }, (_, i) => ({
    paper: {
      arxivId: `2605.1000${i}`,
      title: `A paper about agents, number ${i}`,
      abstract: "We study agents. They act.",
      authors: ["A. Author", "B. Author"],
      upvotes: 10 * i,
      comments: i,
      source: "hf",
    },
    reason: "Matched “agents” in the title",
  }));
  const input = (i: number) => ({
    listName: "paperboy",
    email: `r${i}@bench.example`,
    date: "2026-05-14",
    topics: ["agents"],
    personal: true,
    papers,
    manageUrl: `https://x.example/m?token=${i}`,
    unsubscribeUrl: `https://x.example/u?token=${i}`,
    feedback: { base: `https://x.example/f?token=${i}`, topics: ["agents"] },
  });
  const naiveRuns = 40;
  let started = performance.now();
  for (let i = 0; i < naiveRuns; i++) {
    const view = { ...input(i), papers: papers.map(({ paper, reason }, n) => ({ ...paper, reason, position: n + 1, url: `https://huggingface.co/papers/${paper.arxivId}`, summary: paper.abstract })) };
    await mjml2html(fill(view), { validationLevel: "skip" });
  }
  const naiveMs = (performance.now() - started) / naiveRuns;
  const runs = 20_000;
  started = performance.now();
  for (let i = 0; i < runs; i++) renderDigest(templates, input(i));
  const onceMs = (performance.now() - started) / runs;
  return { perSecond: Math.round(1000 / onceMs), naivePerSecond: Math.round(1000 / naiveMs), ratio: `${Math.round(naiveMs / onceMs)}×` };
}

type Sink = { child: ChildProcess; port: number; stats(): Promise<{ messages: number; recipients: number; duplicates: number }>; reset(): Promise<void> };

async function startSink(): Promise<Sink> {
  const child = fork(fileURLToPath(new URL("./sink-process.ts", import.meta.url)), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const port = await new Promise<number>((resolve) => child.once("message", (message: { port: number }) => resolve(message.port)));
  const ask = <T>(type: string) =>
    new Promise<T>((resolve) => {
      child.once("message", (message: T) => resolve(message));
      child.send({ type });
    });
  return { child, port, stats: () => ask("stats"), reset: () => ask("reset") };
}

/** Papers in the ingest phase's file: two days of arXiv cs.* (the issue's budget: ≥ 5 000 papers/s, re-ingest no slower). */
const INGEST_PAPERS = 5_000;

/**
 * One file of INGEST_PAPERS papers ingested into an empty database after 5 000 of
 * history, then the same file again with every paper's upvotes changed (what each
 * tick does to the day's listing): papers per second each time, the corpus counts
 * and term associations included.
 */
async function measureIngest(serverUrl: string): Promise<Row> {
  const url = await freshDatabase(serverUrl, "bench_ingest");
  const db = createDb(url);
  await seedHistory(db, HISTORY);
  const papers = dayPapers(INGEST_PAPERS);
  let started = performance.now();
  await ingestBatch(db, { source: "file", papers, rejected: [] });
  const firstSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const again = await ingestBatch(db, { source: "file", papers: papers.map((paper) => ({ ...paper, upvotes: (paper.upvotes ?? 0) + 1 })), rejected: [] });
  const againSeconds = (performance.now() - started) / 1000;
  await db.$disconnect();
  if (again.updated !== INGEST_PAPERS) throw new Error(`re-ingest updated ${again.updated} papers, not ${INGEST_PAPERS}`);
  return {
    papers: INGEST_PAPERS,
    firstPerSecond: Math.round(INGEST_PAPERS / firstSeconds),
    againPerSecond: Math.round(INGEST_PAPERS / againSeconds),
    firstSeconds: round(firstSeconds, 2),
    againSeconds: round(againSeconds, 2),
  };
}

/**
 * WEB_READERS readers typing topics on the manage page at once, each keystroke a
 * POST /api/preview (as manage.js sends them), against WEB_PAPERS candidate papers
 * on the day: the first preview (the candidate set built), then the latency of the
 * rest and the web process's event-loop delay under that load.
 */
async function measureWeb(serverUrl: string, sink: Sink): Promise<Row> {
  const url = await freshDatabase(serverUrl, "bench_web");
  const db = createDb(url);
  await seedHistory(db, HISTORY);
  await seedSubscribers(db, WEB_READERS * 5);
  await seedPapers(db, WEB_PAPERS);
  await warmAssociations(db);
  const ids = (await db.subscriber.findMany({ select: { id: true }, orderBy: { id: "asc" }, take: WEB_READERS })).map((row) => row.id);
  await db.$disconnect();
  const tokens = ids.map((id) => signToken(BENCH_MAIL.secret, "manage", { subscriberId: id, tokenVersion: 1 }, BENCH_NOW));
  // What readers type: every other prefix of real topics, from three letters on.
  const typed = realTopics(60).flatMap((topic) => Array.from({ length: Math.ceil((topic.length - 2) / 2) }, (_, k) => topic.slice(0, 3 + 2 * k)));

  // Node's own heap limit: `serve` is not started with the workers' bounded heap, and its peak RSS is reported.
  const child = fork(fileURLToPath(new URL("./phase.ts", import.meta.url)), ["web", url, String(sink.port), String(postmasterPid)], {
    execArgv: ["--import", "tsx", ...profileFlags()],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = <T>(key: string) => new Promise<T>((resolve) => child.on("message", (message: Record<string, unknown>) => key in message && resolve(message[key] as T)));
  const result = next<Record<string, number>>("result");
  const address = await next<string>("listening");
  const preview = (token: string, keywords: string[]) =>
    fetch(`${address}/api/preview`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ keywords }) });
  let started = performance.now();
  const first = await preview(tokens[0]!, ["agents"]);
  if (!first.ok) throw new Error(`the first preview answered ${first.status}: ${await first.text()}`);
  const coldMs = performance.now() - started;
  started = performance.now();
  await (await preview(tokens[1]!, ["diffusion"])).text();
  const warmMs = performance.now() - started;
  // Every reader once: readers in other time zones may have another next-digest window, whose candidate set is built on its first preview (that cost is firstPreviewMs, not the load's).
  for (const token of tokens) await (await preview(token, ["agents"])).text();
  // One reader alone, each keystroke a topic not matched yet: what a preview costs without a queue in front of it.
  const alone: number[] = [];
  for (const keyword of typed.slice(-SEQUENTIAL_PREVIEWS)) {
    started = performance.now();
    await (await preview(tokens[2 % tokens.length]!, [keyword])).text();
    alone.push(performance.now() - started);
  }
  alone.sort((a, b) => a - b);

  const measuring = next("measuring");
  child.send({ type: "measure" });
  await measuring;
  say(`web: ${WEB_READERS} readers typing for ${WEB_SECONDS} s (${WEB_READERS * KEYSTROKES_PER_SECOND} previews/s asked) against ${WEB_PAPERS} papers`);
  let count = 0;
  const load = await autocannon({
    url: address,
    connections: WEB_READERS,
    duration: WEB_SECONDS,
    // Each reader's keystrokes, debounced by manage.js (350 ms): about three previews a second.
    overallRate: WEB_READERS * KEYSTROKES_PER_SECOND,
    requests: [
      {
        method: "POST",
        path: "/api/preview",
        setupRequest: (request) => {
          const i = count++;
          return { ...request, headers: { authorization: `Bearer ${tokens[i % tokens.length]}`, "content-type": "application/json" }, body: JSON.stringify({ keywords: [typed[i % typed.length]] }) };
        },
      },
    ],
  });
  child.send({ type: "stop" });
  const loop = await result;
  return {
    firstPreviewMs: Math.round(coldMs),
    secondPreviewMs: Math.round(warmMs),
    aloneP50Ms: Math.round(alone[Math.floor(alone.length / 2)]!),
    aloneMaxMs: Math.round(alone.at(-1)!),
    previewsPerSecond: Math.round(load.requests.average),
    previewP50Ms: load.latency.p50,
    previewP99Ms: load.latency.p99,
    previewMaxMs: load.latency.max,
    failed: load.non2xx + load.errors + load.timeouts,
    eventLoopP99Ms: round(loop.eventLoopP99Ms!, 1),
    eventLoopMaxMs: round(loop.eventLoopMaxMs!, 1),
    cpuMsPerPreview: round(loop.cpuMs! / Math.max(1, load.requests.total), 2),
    postgresCpuMsPerPreview: round(loop.postgresCpuMs! / Math.max(1, load.requests.total), 2),
    peakRssMb: Math.round(loop.peakRssMb!),
  };
}

/** Peak resident memory of a live process, from /proc (Linux). */
async function peakRssMb(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** A tick plans everyone and enqueues the batches on pg-boss; `workers` separate `paperboy worker` processes send them. */
async function measureWorkers(db: Db, databaseUrl: string, sink: Sink, workers: number): Promise<Row> {
  await db.$executeRawUnsafe(`TRUNCATE "Delivery", "SentPaper", "Run"`);
  await db.$executeRawUnsafe(
    `DO $$ BEGIN IF to_regclass('pgboss.job') IS NOT NULL THEN TRUNCATE pgboss.job; END IF; IF to_regclass('pgboss.archive') IS NOT NULL THEN TRUNCATE pgboss.archive; END IF; END $$`,
  );
  await sink.reset();
  const queue = await startQueue(databaseUrl, silentLog);
  const tick = await runTick({ db, log: silentLog, now: () => BENCH_NOW, sources: [], enqueue: (batch) => queue.enqueue(batch) });
  await queue.stop();
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PAPERBOY_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    PAPERBOY_SECRET: BENCH_MAIL.secret,
    PAPERBOY_PUBLIC_URL: BENCH_MAIL.publicUrl,
    PAPERBOY_SOURCES: "none",
    PAPERBOY_LOG_LEVEL: "info",
    PAPERBOY_SMTP_CONCURRENCY: String(CONCURRENCY),
  };
  const progress = startProgress(`${workers} worker${workers > 1 ? "s" : ""} × ${tick.due}`, tick.due, { quiet });
  const started = performance.now();
  const children = Array.from({ length: workers }, () =>
    spawn(process.execPath, [...HEAP_FLAGS, "bin/paperboy.js", "worker", "--count", "2"], { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] }),
  );
  // Each worker logs every batch it finished with its counts: that gives the split between processes.
  const sentBy = children.map(() => 0);
  children.forEach((child, i) => {
    let buffered = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      const lines = (buffered + chunk.toString()).split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        if (/ (warn|error) /i.test(line)) say(line);
        sentBy[i]! += Number(/"sent":(\d+)/.exec(line)?.[1] ?? 0);
      }
    });
  });
  let settled = 0;
  const peaks = children.map(() => 0);
  while (settled < tick.due && performance.now() - started < 30 * 60_000 && children.every((child) => child.exitCode === null)) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    settled = await db.delivery.count({ where: { status: { in: ["sent", "skipped"] } } });
    for (const [i, child] of children.entries()) peaks[i] = Math.max(peaks[i]!, await peakRssMb(child.pid));
    progress.update(settled);
  }
  const seconds = (performance.now() - started) / 1000;
  progress.stop();
  await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : (child.once("exit", resolve), child.kill("SIGTERM"))))));
  const stats = await sink.stats();
  return {
    perSecond: Math.round(settled / seconds),
    digests: settled,
    due: tick.due,
    batches: tick.batches,
    seconds: round(seconds),
    peakRssMb: Math.max(...peaks),
    emails: stats.messages,
    duplicates: stats.duplicates,
    sentPerProcess: sentBy.join("/"),
  };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
