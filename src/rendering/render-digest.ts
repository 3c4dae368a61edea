// Fills the digest template for one recipient (pure: templates are loaded before).
import { renderEmail, type RenderedEmail, type Templates } from "./templates.ts";

export type DigestPaper = {
  arxivId: string;
  title: string;
  abstract: string;
  aiSummary?: string | null;
  authors: string[];
  upvotes: number;
  comments: number;
  githubUrl?: string | null;
  githubStars?: number | null;
  projectUrl?: string | null;
  /** Where the paper came from: HF-listed papers link to their HF page. */
  source: string;
  reason: string;
};

export type FeedbackLinks = {
  /** Signed /feedback URL without paper or vote; the template adds them. */
  base: string;
  /** Topics a "less of this" link is offered for, as typed. */
  topics: string[];
};

export type DigestInput = {
  listName: string;
  email: string;
  /** YYYY-MM-DD */
  date: string;
  /** Topic labels as the reader typed them; empty for the trending list. */
  topics: string[];
  papers: DigestPaper[];
  manageUrl: string;
  unsubscribeUrl: string;
  /** The digest as a web page. */
  viewUrl?: string;
  feedback?: FeedbackLinks;
};

const SUMMARY_LIMIT = 320;
const AUTHORS_SHOWN = 3;

/** Renders subject, HTML and plain text. Only https: links from the data reach the output. */
export function renderDigest(templates: Templates, input: DigestInput): RenderedEmail {
  return renderEmail(templates, "digest", toView(input));
}

function toView(input: DigestInput) {
  const topicsLabel = formatList(input.topics);
  const papers = input.papers.map((paper, index) => {
    const abs = `https://arxiv.org/abs/${paper.arxivId}`;
    return {
      position: index + 1,
      title: paper.title,
      url: paper.source === "arxiv" ? abs : `https://huggingface.co/papers/${paper.arxivId}`,
      pdfUrl: `https://arxiv.org/pdf/${paper.arxivId}`,
      authors: shortAuthors(paper.authors),
      upvotes: paper.upvotes,
      comments: paper.comments,
      summary: summarise(paper.aiSummary || paper.abstract),
      reason: paper.reason,
      githubUrl: httpsOnly(paper.githubUrl),
      githubStars: paper.githubStars ?? undefined,
      projectUrl: httpsOnly(paper.projectUrl),
      moreUrl: input.feedback ? `${input.feedback.base}&paper=${encodeURIComponent(paper.arxivId)}&vote=up` : undefined,
      lessUrl: input.feedback ? `${input.feedback.base}&paper=${encodeURIComponent(paper.arxivId)}&vote=down` : undefined,
    };
  });
  const count = papers.length;
  return {
    listName: input.listName,
    email: input.email,
    dateLabel: formatDate(input.date),
    topicsLabel,
    count,
    intro: topicsLabel
      ? `${count} new ${count === 1 ? "paper" : "papers"} picked for you on ${topicsLabel}.`
      : `Today's ${count} most upvoted ${count === 1 ? "paper" : "papers"}.`,
    preheader: papers
      .slice(0, 3)
      .map((paper) => paper.title)
      .join(" · "),
    papers,
    manageUrl: input.manageUrl,
    unsubscribeUrl: input.unsubscribeUrl,
    viewUrl: input.viewUrl,
    lessTopics: (input.feedback?.topics ?? []).map((topic) => ({ label: topic, url: `${input.feedback?.base}&topic=${encodeURIComponent(topic)}&vote=less` })),
  };
}

/** Only https: URLs are linked; anything else (javascript:, data:, http:) is dropped. */
export function httpsOnly(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === "https:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function shortAuthors(authors: string[]): string {
  if (authors.length === 0) return "Unknown authors";
  if (authors.length <= AUTHORS_SHOWN) return authors.join(", ");
  return `${authors.slice(0, AUTHORS_SHOWN).join(", ")} et al.`;
}

/** The first sentence or two, cut at a word boundary. */
export function summarise(text: string): string {
  const sentences = text.match(/[^.!?]+[.!?]+(\s|$)/g) ?? [text];
  let summary = "";
  for (const sentence of sentences.slice(0, 2)) {
    if (summary !== "" && summary.length + sentence.length > SUMMARY_LIMIT) break;
    summary += sentence;
  }
  summary = summary.trim();
  if (summary.length <= SUMMARY_LIMIT) return summary;
  return `${summary.slice(0, summary.lastIndexOf(" ", SUMMARY_LIMIT - 1))}…`;
}

const TOPICS_NAMED = 3;

export function formatList(items: string[]): string {
  if (items.length > TOPICS_NAMED) return `${items.slice(0, TOPICS_NAMED).join(", ")} and ${items.length - TOPICS_NAMED} more`;
  if (items.length <= 2) return items.join(" and ");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

function formatDate(day: string): string {
  return new Date(`${day}T12:00:00Z`).toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}
