// The Source port: anything that yields new papers (HF Daily Papers, arXiv, a file).

/**
 * A paper as a source delivers it, normalised and validated. Optional fields are
 * the ones a source may not know (arXiv has no upvotes, HF no categories): when
 * the same paper comes from both, each keeps what the other cannot tell.
 */
export type PaperInput = {
  /** arXiv identifier without version, e.g. "2605.13724". */
  arxivId: string;
  title: string;
  abstract: string;
  authors: string[];
  categories?: string[];
  primaryCategory?: string;
  arxivComment?: string;
  doi?: string;
  journalRef?: string;
  aiSummary?: string;
  aiKeywords?: string[];
  upvotes?: number;
  comments?: number;
  githubUrl?: string;
  githubStars?: number;
  projectUrl?: string;
  thumbnailUrl?: string;
  publishedAt?: Date;
  /** Listing day, YYYY-MM-DD. */
  featuredOn: string;
};

/** A record the source could not use, with the reason; the rest of the batch is kept. */
export type RejectedRecord = { index: number; id?: string; reason: string };

export type SourceBatch = {
  source: string;
  papers: PaperInput[];
  rejected: RejectedRecord[];
};

export type Source = {
  readonly name: string;
  /** Fetches one batch. Throws SOURCE_UNAVAILABLE or SOURCE_MALFORMED when nothing usable came back. */
  fetchPapers(): Promise<SourceBatch>;
};

/**
 * Field limits applied at ingest, generous for real papers (the longest abstract
 * in the sample has 2 600 characters) and small enough that nothing downstream
 * meets unbounded text. Over `title`/`abstract` the record is rejected; the other
 * fields are cut (text at a word, lists at their first items) or, for URLs, dropped.
 */
export const LIMITS = {
  title: 1_000,
  abstract: 20_000,
  aiSummary: 5_000,
  /** arXiv comment and journal reference. */
  note: 1_000,
  doi: 200,
  authors: 5_000,
  authorName: 300,
  keywords: 50,
  keyword: 100,
  categories: 50,
  category: 40,
  url: 2_048,
  /** The int4 columns (upvotes, comments, stars). */
  count: 2_147_483_647,
} as const;

// Lone UTF-16 surrogates cannot be encoded as UTF-8: PostgreSQL refuses them and,
// with them, the whole batch. Like NUL and the other control characters, they carry
// no text, so they are dropped rather than failing the record.
const UNSTORABLE = /[\u0000-\u0008\u000E-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Collapses white space and drops control characters and lone surrogates (PostgreSQL refuses NUL and unpaired surrogates in text). */
export function cleanText(value: string): string {
  return value.replace(UNSTORABLE, "").replace(/\s+/g, " ").trim();
}

/** `value` (cleaned) cut to at most `max` characters at the last space, with "…"; never splits a surrogate pair. */
export function truncateText(value: string, max: number): string {
  if (value.length <= max) return value;
  let cut = value.lastIndexOf(" ", max - 1);
  if (cut <= 0) cut = max - 1;
  const last = value.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${value.slice(0, cut).trimEnd()}…`;
}

// What PostgreSQL's timestamp accepts as the ISO text the driver sends: years 1 to 9999.
const EARLIEST = Date.parse("0001-01-01T00:00:00.000Z");
const LATEST = Date.parse("9999-12-31T23:59:59.999Z");

/** Whether `date` is a real date the database can store (years 0001–9999). */
export function isStorableDate(date: Date): boolean {
  const time = date.getTime();
  return !Number.isNaN(time) && time >= EARLIEST && time <= LATEST;
}
