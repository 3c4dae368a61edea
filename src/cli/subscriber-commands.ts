// `paperboy subscribers …`: add, change, list, show, remove, import, seed and
// export subscribers, for operators.
import { readFile, writeFile } from "node:fs/promises";
import { Option, type Command } from "commander";
import { collectTopic, wholeNumber } from "./arguments.ts";
import type { AppContext, Wiring } from "./wiring.ts";
import { toDay } from "../days.ts";
import { AppError, describeError, isAppError } from "../errors.ts";
import { formatTopic } from "../matching/topics.ts";
import { recentDeliveries } from "../delivery/ledger.ts";
import { importSubscribers, exportSubscribers } from "../subscriptions/import-export.ts";
import { deleteSubscriber } from "../subscriptions/leave.ts";
import { CADENCES, MAX_PAPERS_LIMIT, parsePausedUntil, POPULARITY, readPreferences, updatePreferences, type Preferences, type PreferencesInput } from "../subscriptions/preferences.ts";
import { formatSeedResult, MAX_PAPER_TOPICS, resolvePapers, seedTopics } from "../subscriptions/seed-topics.ts";
import { addSubscriber, findSubscriber, findSuppression, listSubscribers, normaliseEmail, type NewSubscriber } from "../subscriptions/store.ts";

/** Rows of an import rejected, or a seed file that cannot be read: exit 4. */
export const EXIT_ROWS_REJECTED = 4;

export async function requireSubscriber(ctx: AppContext, email: string) {
  const address = normaliseEmail(email);
  const subscriber = await findSubscriber(ctx.db, { email: address });
  if (!subscriber) throw new AppError("NOT_FOUND", `no subscriber with address ${address}`);
  return subscriber;
}

/** A seed file that cannot be read: exit 4, like rejected import rows. */
export class SeedFileError extends AppError {
  constructor(message: string) {
    super("INVALID_ARGUMENT", message);
  }
}

type SetOptions = { cadence?: string; timezone?: string; sendHour?: number; pauseUntil?: string; maxPapers?: number; order?: string; textOnly?: boolean };

/** `subscribers set` options by the preference each changes (for error messages). */
const OPTION_OF: Record<string, string> = {
  cadence: "--cadence",
  timezone: "--timezone",
  sendHour: "--send-hour",
  pausedUntil: "--pause-until",
  maxPapers: "--max-papers",
  popularity: "--order",
  textOnly: "--text-only",
};
const SET_OPTIONS = Object.values(OPTION_OF);

/** A subscriber's schedule and settings in one line: "weekly, after 8:00 Europe/Paris, 10 papers, balanced, HTML". */
function describeSchedule(prefs: Preferences): string {
  const pause = prefs.pausedUntil ? `, paused until ${prefs.pausedUntil}` : "";
  return `${prefs.cadence}, after ${prefs.sendHour}:00 ${prefs.timezone}, ${prefs.maxPapers} papers, ${prefs.popularity}, ${prefs.textOnly ? "text only" : "HTML"}${pause}`;
}

/** The settings a reader chooses on their manage page, as options (`subscribers add` and `set`; --max-papers is each command's own). */
function withSettings(command: Command): Command {
  return command
    .addOption(new Option("--cadence <cadence>", "how often a digest goes out").choices(CADENCES))
    .option("--timezone <zone>", "an IANA time zone, e.g. Europe/Paris (the send hour and the digest's day are local to it)")
    .option("--send-hour <hour>", "local hour from which the digest goes out, 0–23", wholeNumber(0, 23))
    .option("--pause-until <day>", "send nothing until this day (YYYY-MM-DD); none to resume now")
    .addOption(new Option("--order <order>", "how papers are ordered: niche (relevance first), balanced, trending (popularity counts most)").choices(POPULARITY))
    .option("--text-only", "send plain text only")
    .option("--no-text-only", "send HTML with a plain-text part");
}

/** `read()`, or INVALID_ARGUMENT naming the option. */
function parseOption<T>(option: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new AppError("INVALID_ARGUMENT", `${option}: ${describeError(error)}`);
  }
}

export function registerSubscriberCommands(program: Command, wiring: Wiring): void {
  const subscribers = program.command("subscribers").description("manage subscribers");

  withSettings(
    subscribers
      .command("add <email>")
      .description("add an active subscriber, e.g. subscribers add ada@example.org --topic agents --topic '\"mixture of experts\"' --timezone Europe/Paris")
      .option("--topic <topic>", 'a topic, as typed on the manage page: words (ranked), a "quoted phrase", author:…, cat:…, -exclusion (repeatable)', collectTopic, [])
      .option("--max-papers <n>", `papers per digest, 1–${MAX_PAPERS_LIMIT} (default: PAPERBOY_MAX_PAPERS)`, wholeNumber(1, MAX_PAPERS_LIMIT))
      .option("--unsuppress", "the address is on the suppression list: lift that (recorded) and add it"),
  ).action(async (email: string, options: SetOptions & { topic: string[]; unsuppress?: boolean }) => {
    const pausedUntil = options.pauseUntil === undefined || options.pauseUntil === "none" ? undefined : parseOption("--pause-until", () => parsePausedUntil(options.pauseUntil!));
    await wiring.withContext(async (ctx) => {
      const maxPapers = options.maxPapers ?? ctx.config.defaultMaxPapers;
      const suppression = options.unsuppress ? await findSuppression(ctx.db, normaliseEmail(email)) : undefined;
      const settings = {
        timezone: options.timezone,
        sendHour: options.sendHour,
        cadence: options.cadence as NewSubscriber["cadence"],
        popularity: options.order as NewSubscriber["popularity"],
        textOnly: options.textOnly,
        pausedUntil,
      };
      const subscriber = await addSubscriber(ctx.db, { email, topics: options.topic, maxPapers, ...settings, source: "cli", unsuppress: options.unsuppress }, ctx.now());
      const likes = subscriber.topics.filter((topic) => topic.kind === "like").map((topic) => topic.query);
      const unresolved: Array<{ entry: string; reason: string }> = [];
      if (likes.length > 0) await resolvePapers({ db: ctx.db, lookupArxiv: wiring.lookupArxiv(ctx) }, likes, unresolved);
      for (const entry of unresolved) ctx.log.warn(`like:${entry.entry} matches nothing until its paper is ingested: ${entry.reason}`);
      const topics = subscriber.topics.map(formatTopic).join(", ") || "none (trending list)";
      if (suppression) console.log(`Lifted the suppression of ${subscriber.email} (since ${toDay(suppression.createdAt)}: ${suppression.reason})`);
      console.log(`Added ${subscriber.email} (id ${subscriber.id}); topics: ${topics}; ${describeSchedule(readPreferences(subscriber))}`);
    });
  });

  subscribers
    .command("list")
    .description("list subscribers and their topics")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      await wiring.withContext(async (ctx) => {
        const rows = await listSubscribers(ctx.db);
        if (options.json) return console.log(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return console.log("No subscribers yet. Add one with: paperboy subscribers add <email> --topic <topic>");
        for (const row of rows) {
          const topics = row.topics.map(formatTopic).join(", ") || "(trending)";
          console.log(`${String(row.id).padStart(5)}  ${row.status.padEnd(12)} ${row.cadence.padEnd(8)} ${row.email}  —  ${topics}`);
        }
      });
    });

  withSettings(
    subscribers
      .command("set <email>")
      .description("change a subscriber's settings, e.g. subscribers set ada@example.org --cadence weekly --timezone Europe/Paris --send-hour 8")
      .option("--max-papers <n>", `papers per digest, 1–${MAX_PAPERS_LIMIT}`, wholeNumber(1, MAX_PAPERS_LIMIT)),
  ).action(async (email: string, options: SetOptions) => {
    const input: PreferencesInput = {
      cadence: options.cadence,
      timezone: options.timezone,
      sendHour: options.sendHour,
      maxPapers: options.maxPapers,
      popularity: options.order,
      textOnly: options.textOnly,
      pausedUntil: options.pauseUntil === undefined ? undefined : options.pauseUntil === "none" ? null : options.pauseUntil,
    };
    if (Object.values(input).every((value) => value === undefined)) throw new AppError("INVALID_ARGUMENT", `nothing to change: give at least one of ${SET_OPTIONS.join(", ")}`);
    await wiring.withContext(async (ctx) => {
      const subscriber = await requireSubscriber(ctx, email);
      const stored = await updatePreferences(ctx.db, subscriber, input).catch((error: unknown) => {
        // Say which option was wrong, as typed, not the field's name in the API.
        if (isAppError(error, "INVALID_ARGUMENT") && error.fields) {
          throw new AppError(
            "INVALID_ARGUMENT",
            Object.entries(error.fields)
              .map(([field, message]) => `${OPTION_OF[field] ?? field}: ${message}`)
              .join("; "),
          );
        }
        throw error;
      });
      console.log(`Updated ${stored.email}: ${describeSchedule(stored)}`);
    });
  });

  subscribers
    .command("show <email>")
    .description("show one subscriber: preferences, topics and recent deliveries")
    .action(async (email: string) => {
      await wiring.withContext(async (ctx) => {
        const subscriber = await requireSubscriber(ctx, email);
        const prefs = readPreferences(subscriber);
        const deliveries = await recentDeliveries(ctx.db, subscriber.id, 10);
        console.log(`${prefs.email} (id ${subscriber.id}) — ${prefs.status}`);
        console.log(`  topics: ${subscriber.topics.map(formatTopic).join(", ") || "(trending)"}`);
        console.log(`  ${describeSchedule(prefs)}`);
        for (const delivery of deliveries) {
          console.log(`  ${delivery.digestKey}: ${delivery.status}${delivery.paperIds.length ? ` (${delivery.paperIds.length} papers)` : ""}${delivery.error ? ` — ${delivery.error}` : ""}`);
        }
      });
    });

  subscribers
    .command("remove <email>")
    .description("delete a subscriber and everything stored about them")
    .option("--suppress", "keep the address's hash on the suppression list so it is never mailed again")
    .action(async (email: string, options: { suppress?: boolean }) => {
      await wiring.withContext(async (ctx) => {
        const subscriber = await requireSubscriber(ctx, email);
        await deleteSubscriber(ctx.db, subscriber, { suppress: options.suppress ?? false });
        console.log(`Removed ${subscriber.email}${options.suppress ? " and suppressed the address" : ""}`);
      });
    });

  subscribers
    .command("import <csv>")
    .description(
      "add subscribers from a CSV file with a header naming its columns: email, and any of topics (;-separated), max_papers, timezone, send_hour, cadence, popularity, text_only, paused_until, status; exits 4 when rows were rejected",
    )
    .action(async (file: string) => {
      const csv = await readFile(file, "utf8").catch((cause: unknown) => {
        throw new AppError("INVALID_ARGUMENT", `cannot read ${file}: ${describeError(cause)}`);
      });
      await wiring.withContext(async (ctx) => {
        const result = await importSubscribers(ctx.db, csv, ctx.now());
        console.log(`Imported ${result.imported} ${result.imported === 1 ? "subscriber" : "subscribers"}; rejected ${result.rejected.length}`);
        for (const reject of result.rejected) console.log(`  line ${reject.line}${reject.email ? ` (${reject.email})` : ""}: ${reject.reason}`);
        if (result.rejected.length > 0) process.exitCode = EXIT_ROWS_REJECTED;
      });
    });

  subscribers
    .command("seed <email> <file>")
    .description(
      `follow papers like those in a file: a BibTeX, RIS or CSL-JSON export (Zotero, Mendeley) or a list of arXiv ids/URLs; each becomes a like: topic (at most ${MAX_PAPER_TOPICS}); papers not ingested yet are fetched from arXiv when PAPERBOY_SOURCES has an arXiv source; exits 4 when the file cannot be read`,
    )
    .action(async (email: string, file: string) => {
      const text = await readFile(file, "utf8").catch((cause: unknown) => {
        throw new SeedFileError(`cannot read ${file}: ${describeError(cause)}`);
      });
      await wiring.withContext(async (ctx) => {
        const subscriber = await requireSubscriber(ctx, email);
        const lookupArxiv = wiring.lookupArxiv(ctx);
        const result = await seedTopics({ db: ctx.db, lookupArxiv }, subscriber, text).catch((error: unknown) => {
          if (isAppError(error, "INVALID_ARGUMENT") && error.field === "file") throw new SeedFileError(`${file}: ${error.message}`);
          throw error;
        });
        console.log(formatSeedResult(result));
      });
    });

  subscribers
    .command("export")
    .description("write all subscribers as CSV with every setting, in the columns import reads")
    .option("--out <file>", "write to a file instead of stdout")
    .action(async (options: { out?: string }) => {
      await wiring.withContext(async (ctx) => {
        const csv = await exportSubscribers(ctx.db);
        if (options.out) await writeFile(options.out, csv);
        else process.stdout.write(csv);
      });
    });
}
