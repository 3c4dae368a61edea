// Fills the digest template for one recipient (pure: templates are loaded before).
// Paper cards are filled once per paper and shared by every recipient: what
// differs per recipient (the card's position, why it was picked, the signed
// feedback links) is left as a slot in the cached card and filled by plain
// string joins.
import Handlebars from "handlebars";
import { dayStart } from "../days.ts";
import { AppError } from "../errors.ts";
import { paperUrl, pdfUrl } from "./paper-url.ts";
import { encodedSize } from "./mail-size.ts";
import { cutAtWord, summarise } from "./summarise.ts";
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
  /** The thumbnail stored on the instance (its size in pixels), or none. */
  thumbnail?: { width: number; height: number } | null;
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
  /** The reader's topics in words (keywords and phrases, as typed), named in the intro and footer. */
  topics: string[];
  /** Whether the papers were picked for the reader's topics (any kind); false: the trending list. */
  personal: boolean;
  papers: DigestEntry[];
  manageUrl: string;
  unsubscribeUrl: string;
  /** The digest as a web page. */
  viewUrl?: string;
  feedback?: FeedbackLinks;
  /** Who sends the list and their postal address (PAPERBOY_SENDER_ADDRESS), shown in the footer. */
  senderAddress?: string;
  /** Where the instance serves thumbnails (`<publicUrl>/thumbnails`); unset: no images (the reader chose text only). */
  thumbnails?: string;
  /** Bytes the message may take as sent (default MESSAGE_BYTES); a web page passes Infinity and shows every paper. */
  maxBytes?: number;
};

const AUTHORS_SHOWN = 3;
/** Longest title and link shown in the email (the web page shows them whole). */
const TITLE_SHOWN = 300;
const LINK_SHOWN = 500;
const SUBJECT_MAX = 70;

/**
 * The whole message as sent (quoted-printable parts, headers) stays under this.
 * Gmail clips a message past ~102 KB and hides what follows, the unsubscribe link
 * first. Past it, later papers lose their summary, and then (only with absurd
 * data) are left to the browser view, which the email links.
 */
export const MESSAGE_BYTES = 100_000;
/** Headers and MIME boundaries (~1.2 KB, ~1.6 KB with a DKIM signature). */
const HEADER_BYTES = 2_000;
/** "Less of" links in the footer: the rest are on the manage page. */
const LESS_TOPICS_SHOWN = 10;
/** The first papers show their thumbnail: enough to make the email scannable, few enough to load fast on a phone. */
export const THUMBNAILS_SHOWN = 3;
/** The card's inner width in the email (640 px body, 16 px section padding, 20 px card padding, 1 px border). */
const THUMBNAIL_SHOWN_WIDTH = 566;

/** Renders subject, HTML and plain text. Only https: links from the data reach the output. */
export function renderDigest(templates: Templates, input: DigestInput): RenderedEmail {
  const template = templates.emails.get("digest");
  const cards = template?.cards;
  if (!template || !cards) throw new AppError("TEMPLATE_INVALID", "the digest email needs a {{#each papers}} block in html.mjml and text.hbs");
  const cache = cardCache(template, input.thumbnails);
  const feedbackBase = input.feedback?.base;
  const escapedBase = feedbackBase === undefined ? "" : Handlebars.escapeExpression(feedbackBase);
  const feedback = feedbackBase !== undefined;
  const reasons = input.papers.map((entry) => clean(entry.reason));
  const escapedReasons = reasons.map((reason) => Handlebars.escapeExpression(reason));
  const image = (paper: DigestPaper, index: number) => input.thumbnails !== undefined && index < THUMBNAILS_SHOWN && Boolean(paper.thumbnail);
  const chosen = input.papers.map((entry, index) => cachedCard(cache, cards, entry.paper, { feedback, compact: false, image: image(entry.paper, index) }));
  const view = toView(input);
  const budget = input.maxBytes ?? MESSAGE_BYTES;
  // Most digests are far below the limit: a bound from lengths alone (9 bytes per UTF-16 unit at most) settles them without measuring.
  if (budget !== Number.POSITIVE_INFINITY && messageSize(template, view, chosen, escapedBase, feedbackBase ?? "", escapedReasons, reasons, upperBound) > budget) {
    const size = (card: Card, index: number) => cardSize(card, escapedBase, feedbackBase ?? "", escapedReasons[index]!, reasons[index]!, encodedSize);
    let bytes = messageSize(template, view, chosen, escapedBase, feedbackBase ?? "", escapedReasons, reasons, encodedSize);
    // Summaries (and images) go first, from the last paper up; then, only if that is not enough, the last papers.
    for (let index = chosen.length - 1; index >= 0 && bytes > budget; index--) {
      const compact = cachedCard(cache, cards, input.papers[index]!.paper, { feedback, compact: true, image: false });
      bytes += size(compact, index) - size(chosen[index]!, index);
      chosen[index] = compact;
    }
    while (chosen.length > 1 && bytes > budget) bytes -= size(chosen.pop()!, chosen.length);
    view.omitted = input.viewUrl ? input.papers.length - chosen.length : 0;
  }
  let html = "";
  let text = "";
  chosen.forEach((card, index) => {
    const position = String(index + 1);
    html += fillSlots(card.html, position, escapedReasons[index]!, escapedBase);
    text += fillSlots(card.text, position, reasons[index]!, feedbackBase ?? "");
  });
  return renderEmail(templates, "digest", { ...view, htmlCards: html, textCards: text });
}

type Measure = (text: string) => number;
const upperBound: Measure = (text) => text.length * 9;

/** The message's size as sent: headers, the frame and the cards, each measured with `measure` (encodedSize, or upperBound for a quick bound). */
function messageSize(
  template: EmailTemplate,
  view: ReturnType<typeof toView>,
  chosen: Card[],
  escapedBase: string,
  base: string,
  escapedReasons: string[],
  reasons: string[],
  measure: Measure,
): number {
  let bytes = HEADER_BYTES + frameSize(template, view, measure);
  for (let index = 0; index < chosen.length; index++) bytes += cardSize(chosen[index]!, escapedBase, base, escapedReasons[index]!, reasons[index]!, measure);
  return bytes;
}

/** A card's size with its slots filled (the position takes at most 6 bytes with its line). */
function cardSize(card: Card, escapedBase: string, base: string, escapedReason: string, reason: string, measure: Measure): number {
  return card.bytes + card.reasonSlots[0] * measure(escapedReason) + card.reasonSlots[1] * measure(reason) + card.feedbackSlots[0] * measure(escapedBase) + card.feedbackSlots[1] * measure(base) + 6;
}

const frames = new WeakMap<EmailTemplate, number>();

/** Bytes of everything but the cards: the template's own, measured once, and this reader's values, each counted three times (HTML, text, title or preheader). */
function frameSize(template: EmailTemplate, view: ReturnType<typeof toView>, measure: Measure): number {
  let own = frames.get(template);
  if (own === undefined) frames.set(template, (own = encodedSize(template.html({})) + encodedSize(template.text({}))));
  const values = [
    view.listName,
    view.email,
    view.dateLabel,
    view.topicsLabel,
    view.intro,
    view.preheader,
    view.subject,
    view.manageUrl,
    view.unsubscribeUrl,
    view.viewUrl ?? "",
    view.senderAddress ?? "",
  ];
  let bytes = own;
  // Escaping turns a character into at most 6 (&quot;): within upperBound's 9, so the bound skips it.
  const escaped = (value: string) => (measure === upperBound ? value : Handlebars.escapeExpression(value));
  for (const topic of view.lessTopics) bytes += 2 * measure(escaped(topic.label + topic.url));
  for (const value of values) bytes += 3 * measure(escaped(value));
  return bytes;
}

// Slots in a cached card: characters from Unicode's private use area, removed from
// every text that goes into a card so that data can never fake one.
const POSITION_SLOT = "\uE000";
const REASON_SLOT = "\uE001";
const FEEDBACK_SLOT = "\uE002";
const SLOTS = /[\uE000-\uE002]/g;

/** A filled card cut at its slots, with its size as sent outside the slots (encodedSize) and how many reason and feedback slots its html and text have. */
type Card = { html: string[]; text: string[]; bytes: number; reasonSlots: [number, number]; feedbackSlots: [number, number] };
/** Per paper, by variant (see cachedCard): with or without feedback links, compact (no summary) or not, with or without the thumbnail. */
type CardCache = { thumbnails: string | undefined; papers: WeakMap<DigestPaper, Array<Card | undefined>> };
/** Per template, by where thumbnails are served ("" for none). */
const caches = new WeakMap<EmailTemplate, Map<string, CardCache>>();

function cardCache(template: EmailTemplate, thumbnails: string | undefined): CardCache {
  let byBase = caches.get(template);
  if (!byBase) caches.set(template, (byBase = new Map()));
  let cache = byBase.get(thumbnails ?? "");
  if (!cache) byBase.set(thumbnails ?? "", (cache = { thumbnails, papers: new WeakMap() }));
  return cache;
}

type Variant = { feedback: boolean; compact: boolean; image: boolean };

function cachedCard(cache: CardCache, cards: NonNullable<EmailTemplate["cards"]>, paper: DigestPaper, { feedback, compact, image }: Variant): Card {
  let variants = cache.papers.get(paper);
  if (!variants) cache.papers.set(paper, (variants = []));
  const variant = (feedback ? 1 : 0) + (compact ? 2 : 0) + (image ? 4 : 0);
  let card = variants[variant];
  if (!card) {
    const view = paperView(paper, feedback ? FEEDBACK_SLOT : undefined, compact, image ? cache.thumbnails : undefined);
    const html = cards.html(view).split(/([\uE000-\uE002])/);
    const textParts = cards.text(view).split(/([\uE000-\uE002])/);
    const count = (parts: string[], slot: string) => parts.filter((part) => part === slot).length;
    card = {
      html,
      text: textParts,
      bytes: [...html, ...textParts].reduce((sum, part) => sum + (isSlot(part) ? 0 : encodedSize(part)), 0),
      reasonSlots: [count(html, REASON_SLOT), count(textParts, REASON_SLOT)],
      feedbackSlots: [count(html, FEEDBACK_SLOT), count(textParts, FEEDBACK_SLOT)],
    };
    variants[variant] = card;
  }
  return card;
}

function fillSlots(parts: string[], position: string, reason: string, feedbackBase: string): string {
  let out = "";
  for (const part of parts) out += part === POSITION_SLOT ? position : part === REASON_SLOT ? reason : part === FEEDBACK_SLOT ? feedbackBase : part;
  return out;
}

const clean = (value: string) => value.replace(SLOTS, "");
const isSlot = (part: string) => part === POSITION_SLOT || part === REASON_SLOT || part === FEEDBACK_SLOT;

/** One card's fields, with the position, the reason and `feedbackBase` as slots; `compact` leaves the summary out; with `thumbnails`, the paper's image. */
function paperView(paper: DigestPaper, feedbackBase: string | undefined, compact: boolean, thumbnails: string | undefined) {
  const id = encodeURIComponent(paper.arxivId);
  const title = clean(paper.title);
  const size = paper.thumbnail;
  return {
    thumbnail:
      thumbnails && size
        ? {
            url: `${thumbnails}/${id}.jpg`,
            width: Math.min(THUMBNAIL_SHOWN_WIDTH, size.width),
            height: Math.round((Math.min(THUMBNAIL_SHOWN_WIDTH, size.width) * size.height) / size.width),
            alt: `Thumbnail of “${title.length > 80 ? `${cutAtWord(title, 79)}…` : title}”`,
          }
        : undefined,
    position: POSITION_SLOT,
    title: title.length > TITLE_SHOWN ? `${cutAtWord(title, TITLE_SHOWN - 1)}…` : title,
    url: paperUrl(paper),
    pdfUrl: pdfUrl(paper),
    authors: clean(shortAuthors(paper.authors)),
    upvotes: paper.upvotes,
    comments: paper.comments,
    summary: compact ? undefined : clean(summarise(paper.aiSummary || paper.abstract)),
    /** Set on the cards of a long digest that the size limit shortens: no summary; the text part drops the code and vote links too. */
    compact,
    reason: REASON_SLOT,
    githubUrl: shownLink(paper.githubUrl),
    githubStars: paper.githubStars ?? undefined,
    projectUrl: shownLink(paper.projectUrl),
    moreUrl: feedbackBase === undefined ? undefined : `${feedbackBase}&paper=${id}&vote=up`,
    lessUrl: feedbackBase === undefined ? undefined : `${feedbackBase}&paper=${id}&vote=down`,
  };
}

function shownLink(value: string | null | undefined): string | undefined {
  const url = httpsOnly(value);
  return url && url.length <= LINK_SHOWN ? url : undefined;
}

/** Everything outside the cards. */
function toView(input: DigestInput) {
  const topicsLabel = formatList(input.topics);
  const count = input.papers.length;
  const papers = count === 1 ? "paper" : "papers";
  return {
    listName: input.listName,
    email: input.email,
    dateLabel: formatDate(input.date),
    topicsLabel,
    count,
    subject: subjectOf(input, count),
    intro: input.personal ? `${count} new ${papers} picked for you${topicsLabel ? ` on ${topicsLabel}` : ""}.` : `Today's ${count} most upvoted ${papers}.`,
    preheader: input.papers
      .slice(0, 3)
      .map((entry) => entry.paper.title)
      .join(" · "),
    manageUrl: input.manageUrl,
    unsubscribeUrl: input.unsubscribeUrl,
    viewUrl: input.viewUrl,
    /** Papers that did not fit in the email (see MESSAGE_BYTES). */
    omitted: 0,
    senderAddress: input.senderAddress,
    lessTopics: (input.feedback?.topics ?? []).slice(0, LESS_TOPICS_SHOWN).map((topic) => ({ label: topic, url: `${input.feedback?.base}&topic=${encodeURIComponent(topic)}&vote=less` })),
  };
}

/** "5 new papers: <the best paper's title>", at most SUBJECT_MAX characters, the title cut at a word. */
function subjectOf(input: DigestInput, count: number): string {
  const prefix = `${count} ${input.personal ? "new" : "trending"} ${count === 1 ? "paper" : "papers"}`;
  const best = input.papers[0] ? clean(input.papers[0].paper.title).replace(/\s+/g, " ").trim() : "";
  if (!best) return prefix;
  const room = SUBJECT_MAX - prefix.length - 2;
  return `${prefix}: ${best.length <= room ? best : `${cutAtWord(best, room - 1)}…`}`;
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

/** "Thursday, 14 May 2026". */
export function formatDate(day: string): string {
  let label = dateLabels.get(day);
  if (label === undefined) {
    label = DATE_FORMAT.format(dayStart(day));
    if (dateLabels.size < 1000) dateLabels.set(day, label);
  }
  return label;
}
