// arXiv as a Source: the daily listing (RSS, https://rss.arxiv.org/rss/<cat+cat>)
// names the new papers; their metadata then comes from the export API by id_list,
// at most one request every 3 seconds, one at a time (arXiv's etiquette).
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { AppError } from "../errors.ts";
import { assertNotHtml, createThrottle, fetchText, realSleep, type HttpOptions } from "./http.ts";
import { ARXIV_ID, stripVersion } from "../arxiv-id.ts";
import { cleanText, isStorableDate, LIMITS, truncateText, type PaperInput, type RejectedRecord, type Source, type SourceBatch } from "./source.ts";
import { toDay } from "../days.ts";

export type AnnounceType = "new" | "cross" | "replace" | "replace-cross";

export type ArxivSourceOptions = ArxivApiOptions & {
  /** e.g. ["cs.CL", "cs.LG"] */
  categories: string[];
  /** Listing day to record (YYYY-MM-DD); defaults to the feed's date. */
  date?: string;
  rssBaseUrl?: string;
  /** Also take replaced (revised) papers; by default only new and cross-listed ones. */
  includeReplacements?: boolean;
  onProgress?: (message: string) => void;
};

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  removeNSPrefix: true,
  textNodeName: "text",
  isArray: (name) => ["entry", "author", "category", "link", "item"].includes(name),
});

export function createArxivSource(options: ArxivSourceOptions): Source {
  const rss = (options.rssBaseUrl ?? "https://rss.arxiv.org/rss").replace(/\/+$/, "");
  const throttle = createThrottle(options.intervalMs ?? 3_000, options.sleep ?? realSleep, options.now);
  const lookup = createArxivLookup(options, throttle);
  return {
    name: "arxiv",
    async fetchPapers(): Promise<SourceBatch> {
      const feedUrl = `${rss}/${options.categories.map(encodeURIComponent).join("+")}`;
      const listing = parseArxivRss(await throttle(() => fetchText(feedUrl, options)), feedUrl);
      const wanted: AnnounceType[] = options.includeReplacements ? ["new", "cross", "replace", "replace-cross"] : ["new", "cross"];
      const ids = [...new Set(listing.items.filter((item) => wanted.includes(item.announceType)).map((item) => item.id))];
      const date = options.date ?? listing.date ?? toDay(new Date());
      return lookup(ids, date, {
        missing: "listed in the feed but not returned by the arXiv API",
        onProgress: (done) => options.onProgress?.(`arxiv ${options.categories.join("+")}: ${done}/${ids.length} papers`),
      });
    },
  };
}

export type ArxivApiOptions = HttpOptions & {
  apiBaseUrl?: string;
  batchSize?: number;
  /** Minimum time between API requests (arXiv asks for 3 s). */
  intervalMs?: number;
  /** Clock for the spacing, in ms; injected by tests together with `sleep`. */
  now?: () => number;
};

/** Fetches papers by arXiv id, recorded as listed on `featuredOn`; ids the API does not return are rejected with reason `missing`. */
export type ArxivLookup = (ids: string[], featuredOn: string, options?: { missing?: string; onProgress?: (done: number) => void }) => Promise<SourceBatch>;

/**
 * The export API by id_list, in batches (100 by default), one request at a time
 * through `throttle` (a new one spaced by `intervalMs` when not given). Throws
 * SOURCE_UNAVAILABLE / SOURCE_MALFORMED like fetchText and parseArxivAtom.
 */
export function createArxivLookup(options: ArxivApiOptions, throttle = createThrottle(options.intervalMs ?? 3_000, options.sleep ?? realSleep, options.now)): ArxivLookup {
  const api = options.apiBaseUrl ?? "https://export.arxiv.org/api/query";
  const size = options.batchSize ?? 100;
  return async (ids, featuredOn, { missing = "not returned by the arXiv API", onProgress } = {}) => {
    const batch: SourceBatch = { source: "arxiv", papers: [], rejected: [] };
    for (let i = 0; i < ids.length; i += size) {
      const chunk = ids.slice(i, i + size);
      const url = `${api}?id_list=${chunk.join(",")}&max_results=${chunk.length}`;
      const parsed = parseArxivAtom(await throttle(() => fetchText(url, options)), featuredOn, url);
      const returned = new Set(parsed.papers.map((paper) => paper.arxivId));
      batch.papers.push(...parsed.papers.filter((paper) => chunk.includes(paper.arxivId)));
      batch.rejected.push(...parsed.rejected);
      for (const id of chunk) if (!returned.has(id)) batch.rejected.push({ index: i + chunk.indexOf(id), id, reason: missing });
      onProgress?.(Math.min(i + size, ids.length));
    }
    return batch;
  };
}

export type ArxivListing = { date?: string; items: Array<{ id: string; announceType: AnnounceType }> };

/** Reads the daily RSS listing; an empty listing (weekends, holidays) is not an error. Throws SOURCE_MALFORMED. */
export function parseArxivRss(body: string, url = "the arXiv feed"): ArxivListing {
  const doc = parseXml(body, url, "RSS");
  const channel = doc.rss?.channel;
  if (!channel) throw new AppError("SOURCE_MALFORMED", `${url} is not an RSS feed (no <rss><channel>)`);
  const pubDate = Date.parse(String(channel.pubDate ?? channel.lastBuildDate ?? ""));
  const items: ArxivListing["items"] = [];
  for (const item of channel.item ?? []) {
    const raw = String(item.guid?.text ?? item.guid ?? item.link ?? "");
    const id = stripVersion(raw.replace(/^oai:arXiv\.org:/i, "").replace(/^https?:\/\/arxiv\.org\/abs\//, ""));
    const announceType = String(item.announce_type ?? "new") as AnnounceType;
    if (ARXIV_ID.test(id)) items.push({ id, announceType });
  }
  return { date: Number.isNaN(pubDate) ? undefined : localDay(String(channel.pubDate ?? channel.lastBuildDate)), items };
}

/**
 * Reads an export API response (classic and newer Atom formats): each entry is
 * validated on its own; one the API flags as an error fails the whole response.
 * Throws SOURCE_MALFORMED.
 */
export function parseArxivAtom(body: string, featuredOn: string, url = "the arXiv API"): { papers: PaperInput[]; rejected: RejectedRecord[] } {
  const doc = parseXml(body, url, "Atom");
  const feed = doc.feed;
  if (!feed) throw new AppError("SOURCE_MALFORMED", `${url} is not an Atom feed (no <feed>)`);
  const papers: PaperInput[] = [];
  const rejected: RejectedRecord[] = [];
  const seen = new Set<string>();
  (feed.entry ?? []).forEach((entry: AtomEntry, index: number) => {
    const rawId = String(entry.id ?? "");
    if (/api\/errors/.test(rawId)) throw new AppError("SOURCE_MALFORMED", `the arXiv API answered with an error: ${truncateText(cleanText(String(entry.summary ?? "")), 300)}`);
    const id = stripVersion(rawId.replace(/^https?:\/\/arxiv\.org\/abs\//, ""));
    const reject = (reason: string) => rejected.push({ index, id: id.slice(0, 40) || undefined, reason });
    if (!ARXIV_ID.test(id)) return reject(`id ${JSON.stringify(rawId.slice(0, 60))} is not an arXiv identifier`);
    if (seen.has(id)) return reject(`duplicate of an earlier entry for ${id}`);
    const title = cleanText(text(entry.title));
    const abstract = cleanText(text(entry.summary));
    if (title === "") return reject("title is missing or empty");
    if (abstract === "") return reject("summary is missing or empty");
    if (title.length > LIMITS.title) return reject(`title is longer than ${LIMITS.title} characters`);
    if (abstract.length > LIMITS.abstract) return reject(`summary is longer than ${LIMITS.abstract} characters`);
    const categories = (entry.category ?? [])
      .map((category) => cleanText(String(category.term ?? "")))
      .filter((term) => term !== "" && term.length <= LIMITS.category)
      .slice(0, LIMITS.categories);
    const published = Date.parse(String(entry.published ?? ""));
    if (!Number.isNaN(published) && !isStorableDate(new Date(published))) return reject(`published is outside the years 0001–9999 (${String(entry.published).slice(0, 40)})`);
    const primaryCategory = cleanText(String(entry.primary_category?.term ?? categories[0] ?? ""));
    seen.add(id);
    papers.push({
      arxivId: id,
      title,
      abstract,
      authors: (entry.author ?? [])
        .map((author) => truncateText(cleanText(text(author.name)), LIMITS.authorName))
        .filter((name) => name !== "")
        .slice(0, LIMITS.authors),
      categories,
      primaryCategory: primaryCategory === "" || primaryCategory.length > LIMITS.category ? undefined : primaryCategory,
      arxivComment: optional(entry.comment, LIMITS.note),
      doi: optional(entry.doi, LIMITS.doi),
      journalRef: optional(entry.journal_ref, LIMITS.note),
      publishedAt: Number.isNaN(published) ? undefined : new Date(published),
      featuredOn,
    });
  });
  return { papers, rejected };
}

type AtomEntry = {
  id?: unknown;
  title?: unknown;
  summary?: unknown;
  published?: unknown;
  comment?: unknown;
  doi?: unknown;
  journal_ref?: unknown;
  primary_category?: { term?: unknown };
  category?: Array<{ term?: unknown }>;
  author?: Array<{ name?: unknown }>;
};

type XmlDocument = Record<string, any>;

function parseXml(body: string, url: string, kind: string): XmlDocument {
  assertNotHtml(body, url, kind);
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw new AppError("SOURCE_MALFORMED", `${url} is not well-formed ${kind} (line ${valid.err.line}: ${valid.err.msg})`);
  return xml.parse(body) as XmlDocument;
}

function text(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "object") return String((value as { text?: unknown }).text ?? "");
  return String(value);
}

function optional(value: unknown, max: number): string | undefined {
  const cleaned = truncateText(cleanText(text(value)), max);
  return cleaned === "" ? undefined : cleaned;
}

/** The calendar day an RFC 822 date names, in its own offset ("Thu, 14 May 2026 00:00:00 -0400" → 2026-05-14). */
function localDay(value: string): string | undefined {
  const match = /(\d{1,2}) (\w{3}) (\d{4})/.exec(value);
  if (!match) return undefined;
  const month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].indexOf(match[2] ?? "") + 1;
  return month === 0 ? undefined : `${match[3]}-${String(month).padStart(2, "0")}-${String(match[1]).padStart(2, "0")}`;
}
