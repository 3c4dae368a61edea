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

/** arXiv identifiers: new style (2605.13724) and old style (hep-th/9901001), with an optional version. */
export const ARXIV_ID = /^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?\/\d{7})(v\d+)?$/;

/** The identifier without its version suffix. */
export function stripVersion(id: string): string {
  return id.replace(/v\d+$/, "");
}

/** Collapses white space and drops control characters (PostgreSQL refuses NUL in text). */
export function cleanText(value: string): string {
  return value.replace(/[\u0000-\u0008\u000E-\u001F\u007F]/g, "").replace(/\s+/g, " ").trim();
}
