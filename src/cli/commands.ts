// `paperboy` command line: the commands, over the dependencies main.ts wires,
// and errors mapped to exit codes: 0 ok, 1 error, 2 usage, 3 some sends failed,
// 4 some import rows rejected, or a seed file that cannot be read.
import { createReadStream, createWriteStream, readFileSync } from "node:fs";
import { toDay } from "../days.ts";
import { rename, rm, writeFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { arxivCategories, checkEmailArguments, day, positiveInt, wholeNumber } from "./arguments.ts";
import { DEMO_DATE, runDemo } from "./demo.ts";
import { formatRunReport, formatRunSummary } from "./format-report.ts";
import { backupDatabase, restoreDatabase } from "../db/backup.ts";
import { sendTest } from "./send-test.ts";
import { previewDigest } from "../digest/preview.ts";
import { runDigest } from "../digest/run-digest.ts";
import { AppError, describeError, isAppError } from "../errors.ts";
import { escapeControl, type Log } from "../log.ts";
import { ingestBatch, type IngestResult } from "../sources/ingest.ts";
import { createJsonFileSource } from "../sources/json-file.ts";
import { createSources, type SourceSpec } from "../sources/configured.ts";
import { DIGEST_QUEUE } from "../digest/queue.ts";
import { listRuns } from "../digest/runs.ts";
import { suppressAddress } from "../subscriptions/suppress.ts";
import { countActiveSubscribers, listPopularTopics, normaliseEmail } from "../subscriptions/store.ts";
import { startProgress } from "./progress.ts";
import { EXIT_ROWS_REJECTED, registerSubscriberCommands, SeedFileError } from "./subscriber-commands.ts";
import type { Wiring } from "./wiring.ts";
import { exitAfterOutput, ignoreClosedOutput } from "./exit-after-output.ts";

export type { AppContext, Wiring } from "./wiring.ts";

const EXIT_SEND_FAILURES = 3;
const VERSION: string = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;

/** "3 Subscriber, 208 Paper, … (1 234 rows)" */
function describeRows(rows: Record<string, number>): string {
  const total = Object.values(rows).reduce((sum, count) => sum + count, 0);
  const tables = Object.entries(rows)
    .filter(([, count]) => count > 0)
    .map(([table, count]) => `${count} ${table}`)
    .join(", ");
  return `${total} rows${tables ? ` (${tables})` : ""}`;
}

function today(): string {
  return toDay(new Date());
}

function printIngest(result: IngestResult, log: Log): void {
  if (result.fetched === 0 && result.rejected.length === 0) log.info(`${result.source} listed no papers (a weekend or holiday?)`);
  log.info(`Ingested ${result.fetched} papers from ${result.source}: ${result.created} new, ${result.updated} updated, ${result.rejected.length} rejected`);
  for (const record of result.rejected) log.warn(`  rejected ${record.id === undefined ? `#${record.index}` : JSON.stringify(record.id)}: ${escapeControl(record.reason)}`);
  if (result.embeddings?.error !== undefined)
    log.warn(`Embedded ${result.embeddings.embedded} papers, then the embeddings server failed (the rest are embedded next time): ${escapeControl(result.embeddings.error)}`);
  else if (result.embeddings) log.info(`Embedded ${result.embeddings.embedded} papers`);
  const thumbnails = result.thumbnails;
  if (thumbnails?.error !== undefined)
    log.warn(`Stored ${thumbnails.stored} thumbnails; ${thumbnails.failed} failed (each tried again an hour later, three times at most; the last failure): ${escapeControl(thumbnails.error)}`);
  else if (thumbnails && thumbnails.stored > 0) log.info(`Stored ${thumbnails.stored} thumbnails`);
}

function buildProgram(wiring: Wiring): Command {
  const program = new Command()
    .name("paperboy")
    .description("Mails subscribers a daily digest of new research papers matched to their topics.")
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride()
    .hook("preAction", checkEmailArguments);

  program
    .command("serve")
    .description("run the web app: subscribe, confirm, manage topics, unsubscribe, the JSON API")
    .action(async () => {
      await wiring.withContext(async (ctx) => {
        if (ctx.secretIsGenerated) {
          throw new AppError("CONFIG_INVALID", "PAPERBOY_SECRET must be set to serve (at least 32 characters, e.g. `openssl rand -base64 32`); only `paperboy demo --serve` runs without one");
        }
        await wiring.serve(ctx);
      });
    });

  program
    .command("demo")
    .description(`ingest the bundled sample of Hugging Face Daily Papers, add demo subscribers and mail the ${DEMO_DATE} digest to the outbox`)
    .option("--reset", "delete the demo subscribers, their ledger rows and emails first, so the demo sends again")
    .option("--serve", "then run the web app, so that the links in the demo emails work")
    .action(async (options: { reset?: boolean; serve?: boolean }) => {
      await wiring.withContext(
        async (ctx) => {
          const result = await runDemo({ ...ctx, outboxDir: ctx.config.outboxDir }, { reset: options.reset });
          printIngest(result.ingest, ctx.log);
          if (result.created > 0) ctx.log.info(`Created ${result.created} demo subscribers`);
          console.log(formatRunReport(result.report));
          if (result.report.counts.sent > 0) console.log(`\nEmails (.eml to import, .html to open in a browser): ${result.outbox}`);
          else console.log(`\nRun \`npm run demo -- --reset\` to start the demo over. Earlier emails: ${result.outbox}`);
          if (result.report.counts.failed > 0) process.exitCode = EXIT_SEND_FAILURES;
          // Only the web app: the scheduler would plan and mail this install's real subscribers too.
          if (options.serve) await wiring.serve(ctx, { digests: false });
        },
        // The demo's addresses are examples: always the outbox; and no network sources.
        { smtpUrl: undefined, sources: [] },
      );
    });

  program
    .command("ingest")
    .description("fetch and store papers: the Hugging Face Daily Papers API, arXiv listings, or saved API responses")
    .addOption(new Option("--source <source>", "where from (default: file when --file is given, else hf)").choices(["hf", "arxiv", "file"]))
    .option("--file <path...>", "JSON file(s) as returned by https://huggingface.co/api/daily_papers")
    .option("--categories <cats>", "arXiv categories joined by +, e.g. cs.CL+cs.LG (default: from PAPERBOY_SOURCES, else cs.CL)", arxivCategories)
    .option("--date <YYYY-MM-DD>", "listing day (default: today, UTC; for files: read from each entry)", day)
    .action(async (options: { source?: string; file?: string[]; categories?: string[]; date?: string }, command: Command) => {
      const source = options.source ?? (options.file ? "file" : "hf");
      if (source === "file" && !options.file) command.error("error: --source file needs --file <path>");
      if (source !== "file" && options.file) command.error(`error: --file reads saved responses; it cannot be combined with --source ${source}`);
      await wiring.withContext(async (ctx) => {
        const date = options.date ?? today();
        const configured = ctx.config.sources.find((spec) => spec.kind === "arxiv");
        const categories = options.categories ?? (configured?.kind === "arxiv" ? configured.categories : ["cs.CL"]);
        const spec: SourceSpec = source === "file" ? { kind: "file", paths: options.file ?? [] } : source === "arxiv" ? { kind: "arxiv", categories } : { kind: "hf" };
        const progress = (message: string) => ctx.log.info(`  … ${message}`);
        const [built] =
          source === "file"
            ? [createJsonFileSource(options.file ?? [], { listingDate: options.date })]
            : createSources([spec], date, ctx.config.sourceSettings, { log: ctx.log, onProgress: progress });
        printIngest(await ingestBatch(ctx.db, await built!.fetchPapers(), { embedder: ctx.embedder, thumbnails: ctx.thumbnails, now: ctx.now }), ctx.log);
      });
    });

  registerSubscriberCommands(program, wiring);

  program
    .command("topics")
    .description("topics")
    .command("list")
    .description("the most followed topics, with their number of active subscribers")
    .option("--limit <n>", "how many", positiveInt, 20)
    .action(async (options: { limit: number }) => {
      await wiring.withContext(async (ctx) => {
        const topics = await listPopularTopics(ctx.db, options.limit);
        if (topics.length === 0) return console.log("No topics yet.");
        for (const row of topics) console.log(`${String(row.subscribers).padStart(6)}  ${row.topic}`);
      });
    });

  program
    .command("worker")
    .description("process digest batches from the queue (run on as many machines as you like, same DATABASE_URL)")
    .option("--count <n>", "workers in this process, 1–32 (default: PAPERBOY_WORKERS)", wholeNumber(1, 32))
    .action(async (options: { count?: number }) => {
      await wiring.withContext(async (ctx) => {
        const count = options.count ?? Math.max(1, ctx.config.workers);
        ctx.log.info(`worker: processing ${DIGEST_QUEUE} with ${count} workers; mail goes to ${ctx.mailer.description}`);
        await wiring.work(ctx, count);
      });
    });

  program
    .command("tick")
    .description("run one scheduler tick now: ingest PAPERBOY_SOURCES, enqueue everyone due; workers send")
    .action(async () => {
      await wiring.withContext(async (ctx) => {
        console.log(JSON.stringify(await wiring.tick(ctx), null, 2));
      });
    });

  program
    .command("send-test <email>")
    .description(
      "send one digest-shaped message (the digest template, five sample papers) through the configured SMTP server to check its settings; prints the server's reply, or the error's class and reason (exit 1)",
    )
    .action(async (email: string) => {
      await wiring.withContext(async (ctx) => {
        const result = await sendTest(ctx, email).catch((error: unknown) => {
          throw isAppError(error) ? new AppError(error.code, `${error.code}${error.permanent ? " (permanent)" : " (temporary: a later try may work)"} — ${error.message}`) : error;
        });
        console.log(`Sent "${result.subject}" (${Math.round(result.bytes / 1024)} kB) to ${result.to} via ${result.via}`);
        console.log(`  reply: ${escapeControl(result.response)}`);
        console.log(`  Message-ID: ${result.messageId}`);
      });
    });

  program
    .command("backup")
    .description(
      "write a consistent snapshot of everything paperboy keeps (subscribers, consent, ledger, feedback, suppressions, runs, papers) as gzip-compressed JSON lines: paperboy backup > paperboy.jsonl.gz",
    )
    .option("--out <file>", "write to this file (whole, or not at all) instead of stdout")
    .action(async (options: { out?: string }) => {
      if (!options.out && process.stdout.isTTY) throw new AppError("INVALID_ARGUMENT", "the backup is binary: redirect it to a file (paperboy backup > paperboy.jsonl.gz) or give --out <file>");
      await wiring.withContext(async (ctx) => {
        const partial = options.out ? `${options.out}.${process.pid}.partial` : undefined;
        const out = partial ? createWriteStream(partial, { mode: 0o600 }) : process.stdout;
        const summary = await backupDatabase(ctx.db, out, VERSION, ctx.now()).catch(async (error: unknown) => {
          if (partial) await rm(partial, { force: true });
          throw error;
        });
        if (partial && options.out) await rename(partial, options.out);
        console.error(`Backed up ${describeRows(summary.rows)}${options.out ? ` to ${options.out}` : ""}`);
      });
    });

  program
    .command("restore <file>")
    .description("load a backup into an empty database, all or nothing (stop serve and workers first); - reads stdin")
    .option("--replace", "the database has data: delete all of it first (in the same transaction)")
    .action(async (file: string, options: { replace?: boolean }) => {
      const input = file === "-" ? process.stdin : createReadStream(file);
      if (file !== "-") {
        await new Promise<void>((resolve, reject) => {
          input.once("open", () => resolve());
          input.once("error", (cause: unknown) => reject(new AppError("INVALID_ARGUMENT", `cannot read ${file}: ${describeError(cause)}`)));
        });
      }
      await wiring.withContext(async (ctx) => {
        const summary = await restoreDatabase(ctx.db, input, { replace: options.replace });
        console.log(`Restored ${describeRows(summary.rows)}`);
      });
    });

  program
    .command("suppress <email>")
    .description("never mail this address again (keeps only its hash)")
    .option("--reason <text>", "why", "operator")
    .action(async (email: string, options: { reason: string }) => {
      await wiring.withContext(async (ctx) => {
        await suppressAddress(ctx.db, email, "unsubscribed", options.reason);
        console.log(`Suppressed ${normaliseEmail(email)}`);
      });
    });

  program
    .command("runs")
    .description("the run report: ticks and runs with ingest, planned, sent, failed, skipped and possible duplicates")
    .option("--last <n>", "how many", positiveInt, 10)
    .option("--json", "print JSON")
    .action(async (options: { last: number; json?: boolean }) => {
      await wiring.withContext(async (ctx) => {
        const runs = await listRuns(ctx.db, options.last);
        if (options.json) return console.log(JSON.stringify(runs, null, 2));
        console.log(runs.length === 0 ? "No runs yet." : runs.map(formatRunSummary).join("\n"));
      });
    });

  /** Subscribers listed one by one in `run`'s report; the rest are counted. */
  const REPORTED_OUTCOMES = 1000;

  program
    .command("run")
    .description("send the digests due on a day now (default: today, UTC): plan, match, render, send and record, without the queue")
    .option("--date <YYYY-MM-DD>", "digest date (default: today, UTC)", day)
    .option("--dry-run", "match and report only: send nothing, record nothing")
    .option("--json", "print the report as JSON (per subscriber: picked paper ids in order, scores, reasons)")
    .action(async (options: { date?: string; dryRun?: boolean; json?: boolean }) => {
      await wiring.withContext(async (ctx) => {
        const progress = startProgress("Sending digests", await countActiveSubscribers(ctx.db), { quiet: Boolean(process.env.CI) });
        const report = await runDigest(ctx, { date: options.date ?? today(), dryRun: options.dryRun, onProgress: progress.update, maxOutcomes: options.json ? undefined : REPORTED_OUTCOMES }).finally(
          progress.stop,
        );
        console.log(options.json ? JSON.stringify(report, null, 2) : formatRunReport(report));
        if (report.counts.failed > 0) process.exitCode = EXIT_SEND_FAILURES;
      });
    });

  program
    .command("preview <email>")
    .description("render a subscriber's next digest (or the one of --date) without sending or recording it; a digest already sent is shown as sent")
    .option("--date <YYYY-MM-DD>", "the subscriber's local digest date (default: their next digest)", day)
    .addOption(new Option("--format <format>", "which part to render").choices(["text", "html"]).default("text"))
    .option("--out <file>", "write the rendered part to a file instead of stdout")
    .option("--json", "print the picks as JSON instead")
    .action(async (email: string, options: { date?: string; format: string; out?: string; json?: boolean }) => {
      await wiring.withContext(async (ctx) => {
        const preview = await previewDigest(ctx, { email, date: options.date });
        if (options.json) return console.log(JSON.stringify({ ...preview, message: undefined }, null, 2));
        const head = preview.sentAt
          ? `${preview.digestKey} was already sent to ${preview.email} at ${preview.sentAt}; this is what was sent.`
          : `${preview.digestKey} for ${preview.email} (${preview.date}), from papers listed ${preview.window?.since} to ${preview.window?.until}; not sent.`;
        if (!preview.message) return console.log(`${head}\nNo digest: ${preview.reason ?? "nothing matched or everything was already sent"}.`);
        const body = options.format === "html" ? preview.message.html : `Subject: ${preview.message.subject}\n\n${preview.message.text}`;
        if (options.out) {
          await writeFile(options.out, body);
          console.log(`${head}\nWrote ${preview.picks.length} papers for ${preview.email} to ${options.out}`);
        } else {
          console.error(head);
          console.log(body);
        }
      });
    });
  return program;
}

/** Runs the command `argv` names with `wiring`; sets the exit code and exits once output is flushed. */
export async function runCli(argv: string[], wiring: Wiring): Promise<void> {
  ignoreClosedOutput();
  try {
    await buildProgram(wiring).parseAsync(argv);
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    if (code.startsWith("commander.")) {
      // commander has printed the problem; help and version exit 0.
      process.exitCode = code === "commander.helpDisplayed" || code === "commander.version" || code === "commander.help" ? 0 : 2;
    } else {
      console.error(`error: ${isAppError(error) ? error.message : describeError(error)}`);
      if (!isAppError(error) && process.env.PAPERBOY_LOG_LEVEL === "debug") console.error(error);
      process.exitCode = error instanceof SeedFileError ? EXIT_ROWS_REJECTED : 1;
    }
  }
  // Exit explicitly (a pool or timer left open must not keep a finished command alive),
  // but only once stdout and stderr are flushed.
  await exitAfterOutput(Number(process.exitCode ?? 0));
}
