// The Hugging Face Daily Papers API as a Source:
// GET <base>/api/daily_papers?date=YYYY-MM-DD&p=<page>&limit=<n>, every page of the day.
import { AppError, describeError } from "../errors.ts";
import { parseDailyPapers } from "./hf-daily-papers.ts";
import { assertNotHtml, fetchText, type HttpOptions } from "./http.ts";
import type { Source, SourceBatch } from "./source.ts";

export type HfSourceOptions = HttpOptions & {
  /** Listing day, YYYY-MM-DD. */
  date: string;
  baseUrl?: string;
  /** Optional HF token for the higher rate limit. */
  token?: string;
  pageSize?: number;
  maxPages?: number;
  onProgress?: (message: string) => void;
};

/** Fetches all pages of a day; a bad entry is rejected with its reason, a bad page fails the source. */
export function createHfSource(options: HfSourceOptions): Source {
  const base = (options.baseUrl ?? "https://huggingface.co").replace(/\/+$/, "");
  const pageSize = options.pageSize ?? 50;
  const maxPages = options.maxPages ?? 20;
  const headers = { accept: "application/json", ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers };
  return {
    name: "hf",
    async fetchPapers(): Promise<SourceBatch> {
      const batch: SourceBatch = { source: "hf", papers: [], rejected: [] };
      const seen = new Set<string>();
      for (let page = 0; page < maxPages; page++) {
        const url = `${base}/api/daily_papers?date=${encodeURIComponent(options.date)}&p=${page}&limit=${pageSize}`;
        const body = await fetchText(url, { ...options, headers });
        assertNotHtml(body, url, "JSON");
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch (cause) {
          throw new AppError("SOURCE_MALFORMED", `${url} is not valid JSON (truncated?): ${describeError(cause)}`, { cause });
        }
        const parsed = parseDailyPapers(json, options.date);
        const entries = Array.isArray(json) ? json.length : 0;
        const before = batch.papers.length;
        for (const paper of parsed.papers) {
          if (seen.has(paper.arxivId)) batch.rejected.push({ index: batch.papers.length, id: paper.arxivId, reason: `duplicate of an entry on an earlier page` });
          else seen.add(paper.arxivId), batch.papers.push(paper);
        }
        batch.rejected.push(...parsed.rejected.map((record) => ({ ...record, reason: `page ${page}: ${record.reason}` })));
        options.onProgress?.(`hf ${options.date}: page ${page + 1}, ${batch.papers.length} papers`);
        // A short page ends the day; so does a page with nothing new (a server ignoring `p`).
        if (entries < pageSize || batch.papers.length === before) break;
      }
      return batch;
    },
  };
}
