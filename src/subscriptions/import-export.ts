// CSV import and export of subscribers for operators (`paperboy subscribers import|export`).
// Columns: email, topics (separated by ";"), max_papers, timezone, send_hour, cadence,
// popularity, text_only, paused_until, status. Export writes all of them; import needs only email.
import { parse } from "csv-parse/sync";
import type { Db } from "../db/client.ts";
import { AppError, describeError } from "../errors.ts";
import { formatTopic } from "../matching/topics.ts";
import { CADENCES, oneOf, parsePausedUntil, POPULARITY, readPreferences, yesOrNo } from "./preferences.ts";
import { addSubscriber, listSubscribers, type NewSubscriber } from "./store.ts";

export type ImportResult = { imported: number; rejected: Array<{ line: number; email?: string; reason: string }> };

export const CSV_COLUMNS = ["email", "topics", "max_papers", "timezone", "send_hour", "cadence", "popularity", "text_only", "paused_until", "status"] as const;
const STATUSES = ["active", "pending", "unsubscribed", "bounced", "complained"] as const;
const MAX_ROWS = 100_000;
const QUOTED_FIELD_HINT =
  ' (a field that starts with a quote is read up to its closing quote: quote the whole field and double the quotes inside, """mixture of experts""; agents, or start it with a word: agents; "mixture of experts")';

/**
 * Adds every valid row as a subscriber — active unless its status column says
 * otherwise; the operator vouches for their consent — and reports each rejected
 * row with its line and reason; one bad row never stops the others. Throws
 * INVALID_ARGUMENT, importing nothing, when the file is not CSV with an `email`
 * column or names a column it does not know.
 */
export async function importSubscribers(db: Db, csv: string, now: Date): Promise<ImportResult> {
  const records = parseCsv(csv);
  if (records.length > MAX_ROWS) throw new AppError("INVALID_ARGUMENT", `at most ${MAX_ROWS} rows per import (got ${records.length})`);
  const header = Object.keys(records[0]?.record ?? {});
  if (records.length > 0 && !header.includes("email")) throw new AppError("INVALID_ARGUMENT", "the first line must name the columns, among them `email`");
  // A misspelt column would otherwise be dropped silently, and its setting with it, for every row.
  const unknown = header.filter((name) => !(CSV_COLUMNS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    const names = unknown.map((name) => JSON.stringify(name.slice(0, 40))).join(", ");
    throw new AppError(
      "INVALID_ARGUMENT",
      `unknown column${unknown.length === 1 ? "" : "s"} ${names} in the first line: rename or remove ${unknown.length === 1 ? "it" : "them"}; the columns are ${CSV_COLUMNS.join(", ")}. Nothing was imported.`,
    );
  }

  // An address twice in the file: the first row counts, the others are rejected up front (rows are added a few at a time).
  const firstLine = new Map<string, number>();
  const outcomes: Array<ImportResult["rejected"][number] | undefined> = records.map(({ record, info }) => {
    const key = (record.email ?? "").trim().toLowerCase();
    const first = firstLine.get(key);
    if (key !== "" && first !== undefined) return { line: info.lines, email: record.email, reason: `the same address as line ${first}` };
    if (key !== "") firstLine.set(key, info.lines);
    return undefined;
  });
  const pending = records.map((_, i) => i).filter((i) => outcomes[i] === undefined);
  // Each row is its own transaction; a few at once, as the database waits more than it works.
  const lanes = Array.from({ length: Math.min(IMPORT_LANES, pending.length) }, async () => {
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
      const { record, info } = records[next]!;
      try {
        await addSubscriber(db, { ...readRow(record), source: "import" }, now);
      } catch (error) {
        outcomes[next] = { line: info.lines, email: record.email, reason: describeError(error) };
      }
    }
  });
  await Promise.all(lanes);
  const rejected = outcomes.filter((outcome) => outcome !== undefined);
  return { imported: records.length - rejected.length, rejected };
}

/** Rows added at once. */
const IMPORT_LANES = 4;

function parseCsv(csv: string): Array<{ record: Record<string, string>; info: { lines: number } }> {
  try {
    // relax_quotes: topics are written the natural way, `agents; "mixture of experts"`, unquoted.
    return parse(csv, {
      columns: (header: string[]) => header.map((name) => name.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
      relax_quotes: true,
      info: true,
      bom: true,
    });
  } catch (error) {
    const hint = /Closing Quote/i.test(describeError(error)) ? QUOTED_FIELD_HINT : "";
    throw new AppError("INVALID_ARGUMENT", `not a CSV file: ${describeError(error)}${hint}`);
  }
}

/** One row as a new subscriber; throws naming the column of a bad cadence, popularity, text_only, pause or status. */
function readRow(record: Record<string, string>): Omit<NewSubscriber, "source"> {
  const number = (column: string) => (record[column] ? Number(record[column]) : undefined);
  const column = <T>(name: (typeof CSV_COLUMNS)[number], read: (value: string) => T): T | undefined => {
    const value = record[name];
    if (!value) return undefined;
    try {
      return read(value);
    } catch (error) {
      throw new AppError("INVALID_ARGUMENT", `${name}: ${describeError(error)}`, { field: name });
    }
  };
  return {
    email: record.email ?? "",
    topics: splitTopics(record.topics ?? ""),
    maxPapers: number("max_papers"),
    timezone: record.timezone || undefined,
    sendHour: number("send_hour"),
    cadence: column("cadence", (value) => oneOf(value, CADENCES)),
    popularity: column("popularity", (value) => oneOf(value, POPULARITY)),
    textOnly: column("text_only", yesOrNo),
    pausedUntil: column("paused_until", parsePausedUntil),
    status: column("status", (value) => oneOf(value, STATUSES)),
  };
}

/** Splits `a; "b; c"; d` at the semicolons outside quotes (a phrase may contain one). */
function splitTopics(text: string): string[] {
  const topics: string[] = [];
  let current = "";
  let quoted = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    if (char === ";" && !quoted) {
      topics.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  topics.push(current);
  return topics.map((topic) => topic.trim()).filter((topic) => topic !== "");
}

/** All subscribers as CSV with every setting, in the columns import reads: importing it reproduces them. */
export async function exportSubscribers(db: Db): Promise<string> {
  const rows = await listSubscribers(db);
  const lines = rows.map((row) =>
    [
      row.email,
      row.topics.map(formatTopic).join("; "),
      row.maxPapers,
      row.timezone,
      row.sendHour,
      row.cadence,
      row.popularity,
      String(row.textOnly),
      readPreferences(row).pausedUntil ?? "",
      row.status,
    ]
      .map(csvField)
      .join(","),
  );
  return `${CSV_COLUMNS.join(",")}\n${lines.map((line) => `${line}\n`).join("")}`;
}

// RFC 4180: a field with a quote, comma or line break is quoted, its quotes doubled.
function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
