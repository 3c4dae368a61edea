// Sent digests on the web: each one as a page ("view in browser") and all of a
// subscriber's as a personal Atom feed. Both use "view" tokens.
import { paperUrl } from "../../rendering/paper-url.ts";
import type { FastifyInstance } from "fastify";
import { listSentDigests, loadSentDigest, type SentDigest } from "../../digest/preview.ts";
import { renderDigest, type DigestInput } from "../../rendering/render-digest.ts";
import { AppError } from "../../errors.ts";
import { trendingReason } from "../../matching/rank.ts";
import { isPersonal, topicWords } from "../../matching/topics.ts";
import { loadThumbnail, newestListing } from "../../sources/store.ts";
import { ARXIV_ID } from "../../arxiv-id.ts";
import { signedUrl } from "../../subscriptions/links.ts";
import type { SubscriberWithTopics } from "../../subscriptions/store.ts";
import type { WebDeps } from "../web-deps.ts";
import { authenticate } from "../authenticate.ts";

const FEED_ENTRIES = 30;
// The email's HTML carries its styles inline; it runs no script and loads nothing but the instance's own thumbnails.
const DIGEST_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/** The landing page's sample digest: shown in a frame of the instance's own pages, loading nothing but its thumbnails. */
const SAMPLE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'";
/** Pages load thumbnails from the origin they are served on (emails from PAPERBOY_PUBLIC_URL). */
const THUMBNAILS = "/thumbnails";
const SAMPLE_PAPERS = 3;

export function registerArchiveRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get("/digests/:key", async (request, reply) => {
    const subscriber = await authenticate(deps, request, "view");
    const key = (request.params as { key: string }).key;
    const digest = await loadSentDigest(deps.db, subscriber, key);
    if (!digest) throw new AppError("NOT_FOUND", "There is no digest sent to you under this name.");
    const html = renderDigest(deps.templates, digestInput(deps, subscriber, digest)).html;
    return reply.header("content-security-policy", DIGEST_PAGE_CSP).type("text/html; charset=utf-8").send(html);
  });

  app.get("/feed.atom", async (request, reply) => {
    const subscriber = await authenticate(deps, request, "view");
    const digests = await listSentDigests(deps.db, subscriber, FEED_ENTRIES);
    const now = deps.now();
    const self = signedUrl(deps.mail, "/feed.atom", "view", subscriber, now);
    const entries = digests.map((digest) => {
      const link = signedUrl(deps.mail, `/digests/${encodeURIComponent(digest.key.key)}`, "view", subscriber, now);
      const content = `<ol>${digest.entries.map(({ paper, reason }) => `<li><a href="${escapeXml(paperUrl(paper))}">${escapeXml(paper.title)}</a> — ${escapeXml(reason)}</li>`).join("")}</ol>`;
      return [
        "<entry>",
        `<id>urn:paperboy:${subscriber.id}:${escapeXml(digest.key.key)}</id>`,
        `<title>${escapeXml(`${digest.entries.length} papers · ${digest.key.label}`)}</title>`,
        `<updated>${digest.sentAt.toISOString()}</updated>`,
        `<link rel="alternate" type="text/html" href="${escapeXml(link)}"/>`,
        `<content type="html">${escapeXml(content)}</content>`,
        "</entry>",
      ].join("");
    });
    const updated = (digests[0]?.sentAt ?? now).toISOString();
    const feed = `<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>${escapeXml(deps.mail.listName)} digests for ${escapeXml(subscriber.email)}</title><id>urn:paperboy:feed:${subscriber.id}</id><updated>${updated}</updated><link rel="self" href="${escapeXml(self)}"/><author><name>${escapeXml(deps.mail.listName)}</name></author>${entries.join("")}</feed>\n`;
    return reply.type("application/atom+xml; charset=utf-8").header("cache-control", "private, max-age=300").send(feed);
  });
}

/** Registers GET /sample: the digest email itself, filled with the newest listing's most upvoted papers, for the landing page's "what you'll get". */
/**
 * Paper thumbnails, stored at ingest (sources/thumbnails.ts): the same URL for every
 * reader, so loading one tells the instance nothing about who opened which email.
 */
export function registerThumbnailRoute(app: FastifyInstance, deps: WebDeps): void {
  app.get(`${THUMBNAILS}/:file`, async (request, reply) => {
    const match = /^(.+)\.jpg$/.exec((request.params as { file: string }).file);
    const thumbnail = match && ARXIV_ID.test(match[1]!) ? await loadThumbnail(deps.db, match[1]!) : undefined;
    if (!thumbnail) throw new AppError("NOT_FOUND", "There is no thumbnail for this paper.");
    // Stored once, never changed: a cache that has it since then needs nothing.
    const since = Date.parse(request.headers["if-modified-since"] ?? "");
    if (!Number.isNaN(since) && Math.floor(thumbnail.storedAt.getTime() / 1000) * 1000 <= since) return reply.code(304).header("cache-control", "public, max-age=604800").send();
    return reply
      .type("image/jpeg")
      .header("cache-control", "public, max-age=604800")
      .header("last-modified", thumbnail.storedAt.toUTCString())
      .header("content-security-policy", "default-src 'none'")
      .send(Buffer.from(thumbnail.bytes));
  });
}

export function registerSampleRoute(app: FastifyInstance, deps: WebDeps): void {
  app.get("/sample", async (_request, reply) => {
    const listing = await newestListing(deps.db, SAMPLE_PAPERS);
    if (!listing || listing.papers.length === 0) return reply.code(404).type("text/plain; charset=utf-8").send("No papers have been ingested yet.");
    const email = renderDigest(deps.templates, {
      listName: deps.mail.listName,
      email: "you@example.org",
      date: listing.day,
      topics: [],
      personal: false,
      papers: listing.papers.map((paper) => ({ paper, reason: trendingReason(paper) })),
      manageUrl: "/#subscribe",
      unsubscribeUrl: "/#subscribe",
      senderAddress: deps.mail.senderAddress,
      thumbnails: THUMBNAILS,
    });
    // In the landing page's frame a link must open outside it (papers' sites refuse to be framed).
    const html = email.html.replaceAll("<a href=", '<a target="_blank" rel="noopener" href=');
    return reply.header("content-security-policy", SAMPLE_CSP).header("x-frame-options", "SAMEORIGIN").header("cache-control", "public, max-age=300").type("text/html; charset=utf-8").send(html);
  });
}

function digestInput(deps: WebDeps, subscriber: SubscriberWithTopics, digest: SentDigest): DigestInput {
  const now = deps.now();
  return {
    listName: deps.mail.listName,
    email: subscriber.email,
    date: digest.day,
    topics: topicWords(subscriber.topics),
    personal: isPersonal(subscriber.topics),
    senderAddress: deps.mail.senderAddress,
    // The page shows the whole digest, whatever the email had room for.
    maxBytes: Number.POSITIVE_INFINITY,
    papers: digest.entries,
    manageUrl: signedUrl(deps.mail, "/manage", "manage", subscriber, now),
    unsubscribeUrl: signedUrl(deps.mail, "/unsubscribe", "unsubscribe", subscriber, now),
    thumbnails: subscriber.textOnly ? undefined : THUMBNAILS,
  };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
