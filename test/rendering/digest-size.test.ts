// The largest digest the product can send stays under Gmail's clipping point
// (~102 KB): measured on the exact bytes nodemailer sends (its stream transport,
// as the outbox mailer and SMTP use), and read back with mailparser.
import { simpleParser } from "mailparser";
import { beforeAll, describe, expect, it } from "vitest";
import type { OutgoingMessage } from "../../src/delivery/mailer.ts";
import { buildMessage } from "../../src/delivery/mime.ts";
import { MAX_PAPERS_LIMIT as MAX_PAPERS } from "../../src/subscriptions/preferences.ts";
import { composeDigest, type DigestLinks } from "../../src/rendering/compose-digest.ts";
import type { DigestPaper } from "../../src/rendering/render-digest.ts";
import { MESSAGE_BYTES, THUMBNAILS_SHOWN } from "../../src/rendering/render-digest.ts";
import { loadTemplates, type Templates } from "../../src/rendering/templates.ts";
import { LIMITS } from "../../src/sources/source.ts";

let templates: Templates;
beforeAll(async () => {
  templates = await loadTemplates();
});

const token = `123456.7.0.${"A".repeat(22)}`;
const links: DigestLinks = {
  manageUrl: `https://paperboy.example.org/manage?token=${token}`,
  unsubscribeUrl: `https://paperboy.example.org/unsubscribe?token=${token}`,
  viewUrl: `https://paperboy.example.org/digests/weekly%3A2026-W20?token=${token}`,
  feedbackUrl: `https://paperboy.example.org/feedback?token=${token}`,
};
const settings = {
  from: "paperboy <digest@paperboy.example.org>",
  listName: "paperboy",
  senderAddress: "Example Lab, 1 Main Street, 10115 Berlin, Germany",
  publicUrl: "https://paperboy.example.org",
};
const words = (count: number, word: string) => Array.from({ length: count }, () => word).join(" ");

/** A paper as the Hugging Face listing has them: a real-length title, four authors, a two-sentence AI summary, code and a project page. */
const typical = (i: number): DigestPaper => ({
  arxivId: `2605.${10000 + i}`,
  title: `Scaling diffusion transformers for long video generation with sparse attention, part ${i}`,
  abstract: "We study long video generation. ".repeat(60),
  aiSummary: "This paper scales diffusion transformers to minute-long videos with sparse attention. It halves the compute of dense attention at equal quality.",
  authors: ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson"],
  upvotes: 120,
  comments: 14,
  githubUrl: "https://github.com/example/long-video",
  githubStars: 1200,
  projectUrl: "https://example.org/long-video",
  source: "hf",
  thumbnail: { width: 1132, height: 612 },
});

/** Every field at the longest ingest stores (LIMITS), in non-ASCII letters (three bytes each once quoted-printable). */
const extreme = (i: number): DigestPaper => ({
  arxivId: `2605.${10000 + i}`,
  title: words(LIMITS.title / 10, "Diffusïon"),
  abstract: words(LIMITS.abstract / 5, "wörd"),
  aiSummary: words(LIMITS.aiSummary / 8, "Sümmary"),
  authors: Array.from({ length: 16 }, (_, k) => `Äuthor ${k} ${words(28, "x")}`),
  upvotes: 2_147_483_647,
  comments: 2_147_483_647,
  githubUrl: `https://github.com/${"x".repeat(LIMITS.url - 19)}`,
  githubStars: 2_147_483_647,
  projectUrl: `https://example.org/${"p".repeat(LIMITS.url - 20)}`,
  source: "hf",
  thumbnail: { width: 1132, height: 612 },
});

function digest(papers: DigestPaper[], reason: string, topics: string[], textOnly = false): OutgoingMessage {
  return composeDigest(
    templates,
    settings,
    { id: 123456, email: "a.rather.long.reader.address@university.example.org", textOnly },
    { key: "weekly:2026-W20", date: "2026-05-14", entries: papers.map((paper) => ({ paper, reason })), topics, personal: true, links },
  );
}

/** The bytes as sent (what buildMessage makes; the SMTP transport only dot-stuffs them). */
async function sent(message: OutgoingMessage): Promise<Buffer> {
  return Buffer.from(buildMessage(message, new Date()), "utf8");
}

describe("digest size", () => {
  it(`keeps a digest of ${MAX_PAPERS} typical papers under ${MESSAGE_BYTES} bytes, every paper in it, the unsubscribe link intact`, async () => {
    const message = digest(
      Array.from({ length: MAX_PAPERS }, (_, i) => typical(i)),
      "Matches “video generation” and “diffusion” in the abstract",
      ["diffusion", '"video generation"'],
    );
    const raw = await sent(message);
    console.log(`digest size: ${MAX_PAPERS} typical papers → ${raw.length} bytes as sent`);
    expect(raw.length).toBeLessThan(MESSAGE_BYTES);
    const parsed = await simpleParser(raw);
    for (let i = 0; i < MAX_PAPERS; i++) expect(parsed.text).toContain(`2605.${10000 + i}`);
    expect(parsed.text).not.toMatch(/more papers? (is|are) in this digest/);
    // The first papers keep their summary; the footer, with its links and the sender's address, is whole.
    expect(parsed.text).toContain("It halves the compute");
    expect(parsed.html).toContain(links.unsubscribeUrl.replace("=", "&#x3D;"));
    expect(parsed.text).toContain(`Unsubscribe: ${links.unsubscribeUrl}`);
    expect(parsed.text).toContain(settings.senderAddress);
    // The first papers show their thumbnail, served by the instance.
    expect(parsed.html).toContain('src="https://paperboy.example.org/thumbnails/2605.10000.jpg"');
  });

  it(`keeps a digest of ${MAX_PAPERS} papers with every field at its longest under ${MESSAGE_BYTES} bytes, and says where the rest are`, async () => {
    const topics = Array.from({ length: 50 }, (_, k) => `"${words(12, `tőpic${k}`)}"`);
    const message = digest(
      Array.from({ length: MAX_PAPERS }, (_, i) => extreme(i)),
      words(80, "réason"),
      topics,
    );
    const raw = await sent(message);
    console.log(`digest size: ${MAX_PAPERS} papers at the field limits → ${raw.length} bytes as sent`);
    expect(raw.length).toBeLessThan(MESSAGE_BYTES);
    const parsed = await simpleParser(raw);
    const omitted = Number(/(\d+) more papers? (?:is|are) in this digest/.exec(parsed.text ?? "")?.[1]);
    expect(omitted).toBeGreaterThan(0);
    expect(omitted).toBeLessThan(MAX_PAPERS);
    expect(parsed.text).toContain(`in this digest: ${links.viewUrl}`);
    expect(parsed.text).toContain(`Unsubscribe: ${links.unsubscribeUrl}`);
    // A title is cut for the email (the browser view has it whole); links longer than 500 characters are left out.
    expect(parsed.text).toMatch(/Diffusïon…/);
    expect(parsed.html).not.toContain("x".repeat(600));
  });

  it("puts the manage link before the first paper, declares light and dark colours, and names the sender in the footer", async () => {
    const message = digest([typical(1)], "Matches diffusion", ["diffusion"]);
    const html = message.html.replaceAll("&#x3D;", "=");
    expect(html.indexOf(links.manageUrl)).toBeGreaterThan(0);
    expect(html.indexOf(links.manageUrl)).toBeLessThan(html.indexOf('class="card"'));
    expect(html).toContain('<meta name="color-scheme" content="light dark"');
    expect(html).toMatch(/@media \(prefers-color-scheme: ?dark\)/);
    expect(message.text).toContain("paperboy · Example Lab, 1 Main Street, 10115 Berlin, Germany");
    expect(message.text.indexOf(`Manage topics: ${links.manageUrl}`)).toBeLessThan(message.text.indexOf(typical(1).title));
    expect(message.text).toContain("PDF: https://arxiv.org/pdf/2605.10001");
    expect(message.text).toContain(`Less of diffusion: ${links.feedbackUrl}&topic=diffusion&vote=less`);
    expect(message.subject.length).toBeLessThanOrEqual(70);
  });

  it(`shows the first ${THUMBNAILS_SHOWN} papers' thumbnails from the instance, with alt text, and none for a reader who chose text only`, () => {
    const papers = [typical(1), { ...typical(2), thumbnail: null }, typical(3), typical(4), typical(5)];
    const html = digest(papers, "Matches diffusion", ["diffusion"]).html;
    const images = [...html.matchAll(/<img [^>]*>/g)].map((match) => match[0]);
    expect(images.map((image) => /src="([^"]+)"/.exec(image)?.[1])).toEqual(["https://paperboy.example.org/thumbnails/2605.10001.jpg", "https://paperboy.example.org/thumbnails/2605.10003.jpg"]);
    for (const image of images) {
      expect(image).toMatch(/alt="Thumbnail of “Scaling diffusion transformers/);
      expect(image).toContain('width="566" height="306"');
    }
    const textOnly = digest(papers, "Matches diffusion", ["diffusion"], true);
    expect(textOnly.html).not.toContain("<img");
    expect(textOnly.html).not.toContain("/thumbnails/");
  });

  it("keeps the subject under 70 characters, cutting the best paper's title at a word", () => {
    const message = digest([{ ...typical(1), title: "A very long title that goes on and on about diffusion transformers for long video generation" }], "Matches diffusion", ["diffusion"]);
    expect(message.subject).toBe("1 new paper: A very long title that goes on and on about diffusion…");
    expect(message.subject.length).toBeLessThanOrEqual(70);
  });
});
