// Parses the Hugging Face Daily Papers API format
// (GET https://huggingface.co/api/daily_papers?date=YYYY-MM-DD), one record at a time:
// a bad record is rejected with its reason, the others are kept.
import { z } from "zod";
import { AppError } from "../errors.ts";
import { ARXIV_ID, stripVersion } from "../arxiv-id.ts";
import { cleanText, isStorableDate, LIMITS, truncateText, type PaperInput, type RejectedRecord } from "./source.ts";
import { toDay } from "../days.ts";

const text = (max: number) =>
  z
    .string()
    .transform(cleanText)
    .pipe(z.string().min(1, "is empty").max(max, `is longer than ${max} characters`));

const optionalText = (max: number) =>
  z
    .string()
    .nullish()
    .transform((value) => (value ? truncateText(cleanText(value), max) : "") || undefined);

const count = z.number().int().nonnegative().max(LIMITS.count, "is too large").nullish();

const webUrl = z
  .string()
  .nullish()
  .transform((value) => {
    if (!value || value.length > LIMITS.url) return undefined;
    try {
      const url = new URL(value);
      return (url.protocol === "https:" || url.protocol === "http:") && url.href.length <= LIMITS.url ? url.href : undefined;
    } catch {
      return undefined;
    }
  });

const timestamp = z
  .string()
  .nullish()
  .transform((value, context) => {
    const date = value ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime())) return undefined;
    if (isStorableDate(date)) return date;
    context.addIssue({ code: "custom", message: `is outside the years 0001–9999 (${String(value).slice(0, 40)})` });
    return z.NEVER;
  });

// `upvotes` and the ai_* fields live inside `paper`; older responses lack
// summary/submittedOnDailyAt/githubRepo/ai_* (see data/sample/README.md).
const entrySchema = z.object({
  paper: z.object({
    id: z.string().trim().regex(ARXIV_ID, "is not an arXiv identifier"),
    title: text(LIMITS.title),
    summary: text(LIMITS.abstract),
    authors: z.array(z.object({ name: z.string(), hidden: z.boolean().optional() })).transform((authors) =>
      authors
        .filter((author) => !author.hidden)
        .map((author) => truncateText(cleanText(author.name), LIMITS.authorName))
        .filter((name) => name !== "")
        .slice(0, LIMITS.authors),
    ),
    upvotes: count,
    publishedAt: timestamp,
    submittedOnDailyAt: timestamp,
    ai_summary: optionalText(LIMITS.aiSummary),
    ai_keywords: z
      .array(z.string())
      .nullish()
      .transform((keywords) =>
        (keywords ?? [])
          .map(cleanText)
          .filter((keyword) => keyword !== "" && keyword.length <= LIMITS.keyword)
          .slice(0, LIMITS.keywords),
      ),
    githubRepo: webUrl,
    githubStars: count,
    projectPage: webUrl,
  }),
  publishedAt: timestamp,
  numComments: count,
  thumbnail: webUrl,
});

export type ParsedDailyPapers = { papers: PaperInput[]; rejected: RejectedRecord[] };

/**
 * Normalises a Daily Papers response. `listingDate` (YYYY-MM-DD) is the day the
 * response was asked for; without it the featured day is read from each entry.
 * Throws SOURCE_MALFORMED when the response is not an array of entries.
 */
export function parseDailyPapers(body: unknown, listingDate?: string): ParsedDailyPapers {
  if (!Array.isArray(body)) throw new AppError("SOURCE_MALFORMED", "expected a JSON array of daily-paper entries");
  const papers: PaperInput[] = [];
  const rejected: RejectedRecord[] = [];
  const seen = new Set<string>();

  body.forEach((entry: unknown, index) => {
    const id = readId(entry);
    const parsed = entrySchema.safeParse(entry);
    if (!parsed.success) {
      rejected.push({ index, id, reason: describeIssues(parsed.error.issues) });
      return;
    }
    const paper = toPaperInput(parsed.data, listingDate);
    if (!paper.featuredOn) {
      rejected.push({ index, id, reason: "no listing date: neither submittedOnDailyAt nor publishedAt is a date" });
    } else if (seen.has(paper.arxivId)) {
      rejected.push({ index, id, reason: `duplicate of an earlier entry for ${paper.arxivId}` });
    } else {
      seen.add(paper.arxivId);
      papers.push(paper);
    }
  });
  return { papers, rejected };
}

function toPaperInput(entry: z.infer<typeof entrySchema>, listingDate: string | undefined): PaperInput {
  const { paper } = entry;
  const listedAt = paper.submittedOnDailyAt ?? entry.publishedAt;
  return {
    arxivId: stripVersion(paper.id),
    title: paper.title,
    abstract: paper.summary,
    authors: paper.authors,
    aiSummary: paper.ai_summary,
    aiKeywords: paper.ai_keywords,
    upvotes: paper.upvotes ?? 0,
    comments: entry.numComments ?? 0,
    githubUrl: paper.githubRepo,
    githubStars: paper.githubStars ?? undefined,
    projectUrl: paper.projectPage,
    thumbnailUrl: entry.thumbnail,
    publishedAt: paper.publishedAt,
    featuredOn: listingDate ?? (listedAt && toDay(listedAt)) ?? "",
  };
}

function readId(entry: unknown): string | undefined {
  const id = (entry as { paper?: { id?: unknown } } | null)?.paper?.id;
  return typeof id === "string" ? id.slice(0, 40) : undefined;
}

function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join(".") || "entry"} ${issue.message}`)
    .join("; ");
}
