// A database with the bundled sample papers, subscribers, a movable clock and a
// real SMTP sink: the ground for the scheduler and delivery tests.
import type { Db } from "../../src/db/client.ts";
import { createSmtpMailer } from "../../src/delivery/smtp-mailer.ts";
import type { Mailer } from "../../src/delivery/mailer.ts";
import { SAMPLE_FILES } from "../../src/cli/demo.ts";
import type { RunDeps } from "../../src/digest/run-deps.ts";
import { silentLog } from "../../src/log.ts";
import { loadTemplates } from "../../src/rendering/templates.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";
import { startSmtpSink, type SmtpScript, type SmtpSink } from "./smtp-sink.ts";

export type World = {
  test: TestDatabase;
  sink: SmtpSink;
  deps: RunDeps & { mailer: Mailer };
  clock: { now: Date; advance(ms: number): void; set(iso: string): void };
  close(): Promise<void>;
};

/** `shiftDays` moves every sample paper's listing day (e.g. -120: May → January); `serverUrl` is for use outside vitest. */
export async function createWorld(options: { script?: SmtpScript; start: string; shiftDays?: number; serverUrl?: string }): Promise<World> {
  const test = await createTestDatabase(options.serverUrl);
  const sink = await startSmtpSink(options.script);
  await ingestBatch(test.db, await createJsonFileSource(SAMPLE_FILES).fetchPapers());
  if (options.shiftDays) await test.db.$executeRawUnsafe(`UPDATE "Paper" SET "featuredOn" = "featuredOn" + ${Math.trunc(options.shiftDays)}`);
  const clock = {
    now: new Date(options.start),
    advance(ms: number) {
      clock.now = new Date(clock.now.getTime() + ms);
    },
    set(iso: string) {
      clock.now = new Date(iso);
    },
  };
  const mailer = createSmtpMailer({ url: sink.url });
  const deps = await createRunDeps(test.db, mailer, () => clock.now);
  return {
    test,
    sink,
    deps,
    clock,
    async close() {
      await mailer.close();
      await sink.close();
      await test.drop();
    },
  };
}

/** What runDigest and processBatch need, on `db` with `mailer` and the clock `now`. */
export async function createRunDeps(db: Db, mailer: Mailer, now: () => Date): Promise<RunDeps & { mailer: Mailer }> {
  return {
    db,
    mailer,
    templates: await loadTemplates(),
    log: silentLog,
    now,
    mail: { secret: "world-secret".padEnd(40, "q"), publicUrl: "https://paperboy.example", from: "paperboy <digest@paperboy.example>", listName: "paperboy" },
    lookbackDays: 2,
  };
}
