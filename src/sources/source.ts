// The Source port: anything that yields new papers (HF Daily Papers, arXiv, a file).

/** A paper as a source delivers it, normalised and validated. */
export type PaperInput = {
  /** arXiv identifier without version, e.g. "2605.13724". */
  arxivId: string;
  title: string;
  abstract: string;
  authors: string[];
  categories: string[];
  aiSummary?: string;
  aiKeywords: string[];
  upvotes: number;
  comments: number;
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
