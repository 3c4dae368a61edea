// CSV import and export of subscribers for operators (`paperboy subscribers import|export`).
// Columns: email, topics (separated by ";"), max_papers, timezone, send_hour, and on
// export also status.
import { parse } from "csv-parse/sync";
import type { Db } from "../db/client.ts";
import { AppError, describeError } from "../errors.ts";
import { formatTopic } from "../matching/topics.ts";
import { addSubscriber, listSubscribers } from "./subscriptions.ts";

export type ImportResult = { imported: number; rejected: Array<{ line: number; email?: string; reason: string }> };

const MAX_ROWS = 100_000;

/**
 * Adds every valid row as an active subscriber (the operator vouches for their
 * consent) and reports each rejected row with its line and reason; one bad row
 * never stops the others. Throws INVALID_ARGUMENT when the file is not CSV with an
 * `email` column.
 */
export async function importSubscribers(db: Db, csv: string, now: Date): Promise<ImportResult> {
  let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    records = parse(csv, { columns: (header: string[]) => header.map((name) => name.trim().toLowerCase()), skip_empty_lines: true, trim: true, relax_column_count: true, info: true, bom: true });
  } catch (error) {
    throw new AppError("INVALID_ARGUMENT", `not a CSV file: ${describeError(error)}`);
  }
  if (records.length > MAX_ROWS) throw new AppError("INVALID_ARGUMENT", `at most ${MAX_ROWS} rows per import (got ${records.length})`);
  if (records.length > 0 && !("email" in (records[0]?.record ?? {}))) throw new AppError("INVALID_ARGUMENT", "the first line must name the columns, among them `email`");

  const result: ImportResult = { imported: 0, rejected: [] };
  for (const { record, info } of records) {
    try {
      const number = (column: string) => (record[column] ? Number(record[column]) : undefined);
      await addSubscriber(
        db,
        {
          email: record.email ?? "",
          topics: (record.topics ?? "").split(";").map((topic) => topic.trim()).filter((topic) => topic !== ""),
          maxPapers: number("max_papers"),
          timezone: record.timezone || undefined,
          sendHour: number("send_hour"),
          source: "import",
        },
        now,
      );
      result.imported++;
    } catch (error) {
      result.rejected.push({ line: info.lines, email: record.email, reason: describeError(error) });
    }
  }
  return result;
}

/** All subscribers as CSV, in the import format plus a status column. */
export async function exportSubscribers(db: Db): Promise<string> {
  const rows = await listSubscribers(db);
  const lines = rows.map((row) => [row.email, row.topics.map(formatTopic).join("; "), row.maxPapers, row.timezone, row.sendHour, row.status].map(csvField).join(","));
  return `${["email", "topics", "max_papers", "timezone", "send_hour", "status"].join(",")}\n${lines.map((line) => `${line}\n`).join("")}`;
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
