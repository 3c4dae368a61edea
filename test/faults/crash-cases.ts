// Fault cases on the process side: `paperboy run`, a worker or PostgreSQL killed
// with SIGKILL mid-run, and commands started at once. Recovery: the run again
// (at once, and after the killed run's 10-minute claim lease, with the clock moved
// on as the crash test does), PostgreSQL restarted.
import { readFile, mkdtemp, chmod, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createDb } from "../../src/db/client.ts";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "../../src/db/embedded-postgres.ts";
import { migrateDatabase } from "../../src/db/migrate.ts";
import { SAMPLE_FILES } from "../../src/cli/demo.ts";
import { CLAIM_LEASE_MS } from "../../src/delivery/ledger.ts";
import { createSmtpMailer } from "../../src/delivery/smtp-mailer.ts";
import { startQueue } from "../../src/digest/queue.ts";
import { runDigest } from "../../src/digest/run-digest.ts";
import { runTick } from "../../src/digest/tick.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { createRunDeps } from "../helpers/digest-world.ts";
import { spawnCli, type CliResult } from "../helpers/run-cli.ts";
import { startCrashWorker } from "../helpers/start-crash-worker.ts";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.ts";
import { DATE, QUARTER, seedWorld, waitFor, waitUntilSettled, type CaseContext } from "./smtp-cases.ts";
import { seedSubscribers, tallyCase, type Tally } from "./tally.ts";

const RUN = ["run", "--date", DATE];
const cliEnv = (databaseUrl: string, sink: SmtpSink) => ({ DATABASE_URL: databaseUrl, PAPERBOY_SMTP_URL: sink.url, CI: "1" });
/** A kill point: after this many messages reached the sink (seeded, within the first half). */
const killPoint = (ctx: CaseContext, sink: SmtpSink) => sink.messages.length + 5 + Math.floor(ctx.next() * (ctx.n / 2));

/** `run --date` killed at a seeded point, run again at once, then once the killed run's claims have expired. */
export async function killRun(ctx: CaseContext): Promise<Tally> {
  const { world, emails } = await seedWorld(ctx);
  try {
    const leftover = await killThenRerun(ctx, world.sink, world.test.url);
    world.clock.set(new Date(Date.now() + CLAIM_LEASE_MS + 60_000).toISOString());
    await runDigest(world.deps, { date: DATE });
    const tally = await tallyCase(world.test.db, "kill -9 of `paperboy run`", world.sink.messages, emails);
    tally.notes.push(leftover);
    return tally;
  } finally {
    await world.close();
  }
}

/** Starts `run --date`, runs `kill` once the sink has seen a seeded number of messages, waits for the run's end, then runs it again. */
async function killThenRerun(ctx: CaseContext, sink: SmtpSink, databaseUrl: string, kill?: () => Promise<void>, restart?: () => Promise<string>): Promise<string> {
  const killedBy = kill ? "postgres" : "run";
  const target = killPoint(ctx, sink);
  const { child, result } = spawnCli(RUN, cliEnv(databaseUrl, sink));
  let done = false;
  void result.then(() => (done = true));
  await waitFor(() => done || sink.messages.length >= target, 600_000);
  const killedAt = sink.messages.length;
  const finished = done;
  if (!finished) await (kill ? kill() : child.kill("SIGKILL"));
  const killed = await result;
  const url = restart ? await restart() : databaseUrl;
  const claimed = await countHeld(url);
  const again = await spawnCli(RUN, cliEnv(url, sink)).result;
  const held = await countHeld(url);
  return `killed after ${killedAt} messages${finished ? " (no: it had finished first)" : ""} holding ${claimed} claims, the run ${killedBy === "postgres" ? `exited ${killed.code}` : "SIGKILLed"}; rerun at once: exit ${again.code}, ${held} left in the killed run's lease, sent after it expired`;
}

async function countHeld(url: string): Promise<number> {
  const db = createDb(url);
  try {
    return await db.delivery.count({ where: { status: "sending" } });
  } finally {
    await db.$disconnect();
  }
}

/** The crash worker killed at `kills` seeded points, then run to the end. */
export function killWorker(kills: number) {
  return async (ctx: CaseContext): Promise<Tally> => {
    const { world, emails } = await seedWorld(ctx);
    try {
      let killed = 0;
      for (let i = 0; i < kills; i++) {
        const target = killPoint(ctx, world.sink) - 4;
        const { child, exited } = startCrashWorker(world.test.url, world.sink.url, i);
        let done = false;
        void exited.then(() => (done = true));
        await waitFor(() => done || world.sink.messages.length >= target);
        if (!done) {
          child.kill("SIGKILL");
          killed++;
        }
        await exited;
      }
      const final = await startCrashWorker(world.test.url, world.sink.url, kills + 1).exited;
      const tally = await tallyCase(world.test.db, `kill -9 of a worker (${kills}×)`, world.sink.messages, emails);
      tally.notes.push(`${killed} killed mid-batch, final worker exit ${final.code}`);
      return tally;
    } finally {
      await world.close();
    }
  };
}

/** PostgreSQL (its postmaster) SIGKILLed under a running `paperboy run`, restarted, the run again. */
export async function killPostgres(ctx: CaseContext): Promise<Tally> {
  const root = await mkdtemp(path.join(tmpdir(), "paperboy-faults-pg-"));
  await chmod(root, 0o755);
  const dir = path.join(root, "postgres");
  let server: EmbeddedDatabase = await startEmbeddedPostgres(dir);
  const sink = await startSmtpSink();
  try {
    await migrateDatabase(server.url);
    const setup = createDb(server.url);
    await ingestBatch(setup, await createJsonFileSource(SAMPLE_FILES).fetchPapers());
    const emails = await seedSubscribers(setup, ctx.n);
    await setup.$disconnect();
    const postmaster = Number((await readFile(path.join(dir, "postmaster.pid"), "utf8")).split("\n")[0]);
    const leftover = await killThenRerun(
      ctx,
      sink,
      server.url,
      async () => {
        process.kill(postmaster, "SIGKILL");
      },
      async () => {
        server = await startEmbeddedPostgres(dir);
        return server.url;
      },
    );
    const db = createDb(server.url);
    const mailer = createSmtpMailer({ url: sink.url });
    try {
      const later = new Date(Date.now() + CLAIM_LEASE_MS + 60_000);
      await runDigest(await createRunDeps(db, mailer, () => later), { date: DATE });
      const tally = await tallyCase(db, "kill -9 of PostgreSQL mid-run", sink.messages, emails);
      tally.notes.push(leftover);
      return tally;
    } finally {
      await mailer.close();
      await db.$disconnect();
    }
  } finally {
    await sink.close();
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/** `count` × `run --date` started at once on a running server. */
export function concurrentRuns(count: number) {
  return async (ctx: CaseContext): Promise<Tally> => {
    const { world, emails } = await seedWorld(ctx);
    try {
      const results = await Promise.all(Array.from({ length: count }, () => spawnCli(RUN, cliEnv(world.test.url, world.sink)).result));
      const tally = await tallyCase(world.test.db, `${count} concurrent \`paperboy run --date\` (server running)`, world.sink.messages, emails);
      tally.notes.push(describeExits(results));
      return tally;
    } finally {
      await world.close();
    }
  };
}

function describeExits(results: CliResult[]): string {
  const failed = results.filter((result) => result.code !== 0);
  const why = failed
    .map((result) => (/postmaster\.pid" already exists|another postmaster/.test(result.stderr) ? '"postmaster.pid" already exists' : result.stderr.trim().split("\n").pop()))
    .join("; ");
  return `${failed.length}/${results.length} commands failed${why ? `: ${why}` : ""}`;
}

/** `count` × `run --date` started at once on a data folder whose embedded server is stopped. */
export function concurrentRunsStopped(count: number) {
  return async (ctx: CaseContext): Promise<Tally> => {
    const root = await mkdtemp(path.join(tmpdir(), "paperboy-faults-data-"));
    await chmod(root, 0o755);
    const sink = await startSmtpSink();
    try {
      const open = async () => {
        const server = await startEmbeddedPostgres(path.join(root, "postgres"));
        await migrateDatabase(server.url);
        return { server, db: createDb(server.url) };
      };
      const first = await open();
      await ingestBatch(first.db, await createJsonFileSource(SAMPLE_FILES).fetchPapers());
      const emails = await seedSubscribers(first.db, ctx.n);
      await first.db.$disconnect();
      await first.server.stop();
      const env = { PAPERBOY_DATA_DIR: root, PAPERBOY_SMTP_URL: sink.url, CI: "1" };
      const results = await Promise.all(Array.from({ length: count }, () => spawnCli(RUN, env).result));
      const after = await open();
      try {
        const tally = await tallyCase(after.db, `${count} concurrent \`paperboy run --date\` (data folder stopped)`, sink.messages, emails);
        tally.notes.push(describeExits(results));
        return tally;
      } finally {
        await after.db.$disconnect();
        await after.server.stop();
      }
    } finally {
      await sink.close();
      await rm(root, { recursive: true, force: true });
    }
  };
}

/** Two schedulers with a worker each (two pg-boss instances, as on two machines) ticking at the same moments. */
export async function tickWorkerPairs(ctx: CaseContext): Promise<Tally> {
  const { world, emails } = await seedWorld(ctx);
  const pairs = await Promise.all([0, 1].map(async () => ({ queue: await startQueue(world.test.url, world.deps.log), mailer: createSmtpMailer({ url: world.sink.url, maxConnections: 5 }) })));
  try {
    for (const { queue, mailer } of pairs) await queue.work({ ...world.deps, mailer, concurrency: 5 }, 1);
    const tickBoth = () => Promise.all(pairs.map(({ queue }) => runTick({ db: world.test.db, log: world.deps.log, now: world.deps.now, sources: [], enqueue: (batch) => queue.enqueue(batch) })));
    const first = await tickBoth();
    await waitUntilSettled(world);
    world.clock.advance(QUARTER);
    const second = await tickBoth();
    await waitUntilSettled(world);
    const tally = await tallyCase(world.test.db, "2 tick+worker pairs at once", world.sink.messages, emails);
    tally.notes.push(`first ticks queued ${first.map((report) => report.due - report.alreadyQueued).join(" + ")}, next ticks due ${second.map((report) => report.due).join(" + ")}`);
    return tally;
  } finally {
    for (const { queue, mailer } of pairs) {
      await queue.stop();
      await mailer.close();
    }
    await world.close();
  }
}
