// A Source that reads saved Hugging Face Daily Papers API responses from disk.
import { readFile } from "node:fs/promises";
import { AppError, describeError } from "../errors.ts";
import { parseDailyPapers } from "./hf-daily-papers.ts";
import type { Source, SourceBatch } from "./source.ts";

const MAX_FILE_BYTES = 50 * 1024 * 1024;

/**
 * Reads each file as a Daily Papers response. `listingDate` overrides the
 * featured day read from the entries. Throws SOURCE_UNAVAILABLE for an
 * unreadable file and SOURCE_MALFORMED for one that is not the expected JSON.
 */
export function createJsonFileSource(paths: string[], options: { listingDate?: string } = {}): Source {
  return {
    name: "file",
    async fetchPapers(): Promise<SourceBatch> {
      const batch: SourceBatch = { source: "file", papers: [], rejected: [] };
      for (const path of paths) {
        const parsed = parseDailyPapers(await readJson(path), options.listingDate);
        batch.papers.push(...parsed.papers);
        batch.rejected.push(...parsed.rejected.map((record) => ({ ...record, reason: `${path}[${record.index}]: ${record.reason}` })));
      }
      return batch;
    },
  };
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new AppError("SOURCE_UNAVAILABLE", `cannot read ${path}: ${describeError(cause)}`, { cause });
  }
  if (text.length > MAX_FILE_BYTES) throw new AppError("SOURCE_MALFORMED", `${path} is larger than ${MAX_FILE_BYTES} bytes`);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new AppError("SOURCE_MALFORMED", `${path} is not valid JSON: ${describeError(cause)}`, { cause });
  }
}
