// Fills the digest template for one recipient (pure: templates are loaded before).
// Paper cards are filled once per paper and shared by every recipient: what
// differs per recipient (the card's position, why it was picked, the signed
// feedback links) is left as a slot in the cached card and filled by plain
// string joins.
import Handlebars from "handlebars";
import { dayStart } from "../days.ts";
import { AppError } from "../errors.ts";
import { paperUrl, pdfUrl } from "./paper-url.ts";
import { summarise } from "./summarise.ts";
import { renderEmail, type EmailTemplate, type RenderedEmail, type Templates } from "./templates.ts";

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
};

/** A paper in one digest and why it is there. Reuse the same `paper` object across recipients: cards are cached by it. */
export type DigestEntry = { paper: DigestPaper; reason: string };

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
  papers: DigestEntry[];
  manageUrl: string;
  unsubscribeUrl: string;
  /** The digest as a web page. */
  viewUrl?: string;
  feedback?: FeedbackLinks;
};

const AUTHORS_SHOWN = 3;

/** Renders subject, HTML and plain text. Only https: links from the data reach the output. */
export function renderDigest(templates: Templates, input: DigestInput): RenderedEmail {
  const template = templates.emails.get("digest");
  const cards = template?.cards;
  if (!template || !cards) throw new AppError("TEMPLATE_INVALID", "the digest email needs a {{#each papers}} block in html.mjml and text.hbs");
  const cache = cardCache(template);
  const feedbackBase = input.feedback?.base;
  const escapedBase = feedbackBase === undefined ? "" : Handlebars.escapeExpression(feedbackBase);
  let html = "";
  let text = "";
  input.papers.forEach((entry, index) => {
    const card = cachedCard(cache, cards, entry.paper, feedbackBase !== undefined);
    const position = String(index + 1);
    const reason = clean(entry.reason);
    html += fillSlots(card.html, position, Handlebars.escapeExpression(reason), escapedBase);
    text += fillSlots(card.text, position, reason, feedbackBase ?? "");
  });
  const view = toView(input);
  return renderEmail(templates, "digest", { ...view, htmlCards: html, textCards: text });
}

// Slots in a cached card: characters from Unicode's private use area, removed from
// every text that goes into a card so that data can never fake one.
const POSITION_SLOT = "\uE000";
const REASON_SLOT = "\uE001";
const FEEDBACK_SLOT = "\uE002";
const SLOTS = /[\uE000-\uE002]/g;

type Card = { html: string[]; text: string[] };
/** Per paper: [without feedback links, with them]. */
type CardCache = WeakMap<DigestPaper, [Card | undefined, Card | undefined]>;
const caches = new WeakMap<EmailTemplate, CardCache>();

function cardCache(template: EmailTemplate): CardCache {
  let cache = caches.get(template);
  if (!cache) caches.set(template, (cache = new WeakMap()));
  return cache;
}

function cachedCard(cache: CardCache, cards: NonNullable<EmailTemplate["cards"]>, paper: DigestPaper, feedback: boolean): Card {
  let byFeedback = cache.get(paper);
  if (!byFeedback) cache.set(paper, (byFeedback = [undefined, undefined]));
  let card = byFeedback[feedback ? 1 : 0];
  if (!card) {
    const view = paperView(paper, feedback ? FEEDBACK_SLOT : undefined);
    card = { html: cards.html(view).split(/([\uE000-\uE002])/), text: cards.text(view).split(/([\uE000-\uE002])/) };
    byFeedback[feedback ? 1 : 0] = card;
  }
  return card;
}

function fillSlots(parts: string[], position: string, reason: string, feedbackBase: string): string {
  let out = "";
  for (const part of parts) out += part === POSITION_SLOT ? position : part === REASON_SLOT ? reason : part === FEEDBACK_SLOT ? feedbackBase : part;
  return out;
}

const clean = (value: string) => value.replace(SLOTS, "");

/** One card's fields, with the position, the reason and `feedbackBase` as slots. */
function paperView(paper: DigestPaper, feedbackBase: string | undefined) {
  const id = encodeURIComponent(paper.arxivId);
  return {
    position: POSITION_SLOT,
    title: clean(paper.title),
    url: paperUrl(paper),
    pdfUrl: pdfUrl(paper),
    authors: clean(shortAuthors(paper.authors)),
    upvotes: paper.upvotes,
    comments: paper.comments,
    summary: clean(summarise(paper.aiSummary || paper.abstract)),
    reason: REASON_SLOT,
    githubUrl: httpsOnly(paper.githubUrl),
    githubStars: paper.githubStars ?? undefined,
    projectUrl: httpsOnly(paper.projectUrl),
    moreUrl: feedbackBase === undefined ? undefined : `${feedbackBase}&paper=${id}&vote=up`,
    lessUrl: feedbackBase === undefined ? undefined : `${feedbackBase}&paper=${id}&vote=down`,
  };
}

/** Everything outside the cards. */
function toView(input: DigestInput) {
  const topicsLabel = formatList(input.topics);
  const count = input.papers.length;
  return {
    listName: input.listName,
    email: input.email,
    dateLabel: formatDate(input.date),
    topicsLabel,
    count,
    intro: topicsLabel ? `${count} new ${count === 1 ? "paper" : "papers"} picked for you on ${topicsLabel}.` : `Today's ${count} most upvoted ${count === 1 ? "paper" : "papers"}.`,
    preheader: input.papers
      .slice(0, 3)
      .map((entry) => entry.paper.title)
      .join(" · "),
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

const TOPICS_NAMED = 3;

export function formatList(items: string[]): string {
  if (items.length > TOPICS_NAMED) return `${items.slice(0, TOPICS_NAMED).join(", ")} and ${items.length - TOPICS_NAMED} more`;
  if (items.length <= 2) return items.join(" and ");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

const DATE_FORMAT = new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

const dateLabels = new Map<string, string>();

function formatDate(day: string): string {
  let label = dateLabels.get(day);
  if (label === undefined) {
    label = DATE_FORMAT.format(dayStart(day));
    if (dateLabels.size < 1000) dateLabels.set(day, label);
  }
  return label;
}
