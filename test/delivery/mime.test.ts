// buildMessage makes the bytes nodemailer would have made from the same html and
// text (read back with mailparser, header by header and part by part), valid as
// sent: CRLF only, lines ≤ 78, dots stuffed on the wire, a DKIM signature that
// verifies. The digests are real ones: the real templates, real papers.
import { generateKeyPairSync } from "node:crypto";
import { simpleParser, type ParsedMail } from "mailparser";
import { dkimVerify } from "mailauth/lib/dkim/verify.js";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OutgoingMessage } from "../../src/delivery/mailer.ts";
import { buildMessage, encodeQuotedPrintable } from "../../src/delivery/mime.ts";
import { createSmtpMailer } from "../../src/delivery/smtp-mailer.ts";
import { composeDigest } from "../../src/rendering/compose-digest.ts";
import type { DigestPaper } from "../../src/rendering/render-digest.ts";
import { loadTemplates, type Templates } from "../../src/rendering/templates.ts";
import { readHfDaily } from "../helpers/fixtures.ts";
import { nodemailerOptions } from "../helpers/nodemailer-reference.ts";
import { loadSeed, random } from "../helpers/seeded-random.ts";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.ts";

let templates: Templates;
let sink: SmtpSink;
beforeAll(async () => {
  templates = await loadTemplates();
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink.close();
});

const settings = { from: "paperboy <digest@paperboy.example.org>", listName: "paperboy", senderAddress: "Example Lab, 1 Main Street, Berlin", publicUrl: "https://paperboy.example.org" };
const links = (id: number) => {
  const token = `${id}.1.0.${"Ab".repeat(11)}`;
  return {
    manageUrl: `https://paperboy.example.org/manage?token=${token}`,
    unsubscribeUrl: `https://paperboy.example.org/unsubscribe?token=${token}`,
    viewUrl: `https://paperboy.example.org/digests/daily%3A2026-05-14?token=${token}`,
    feedbackUrl: `https://paperboy.example.org/feedback?token=${token}`,
  };
};

/** The Hugging Face listing of a real day, as the digest shows its papers. */
function realPapers(): DigestPaper[] {
  return readHfDaily("2026-05-14").map(({ paper }) => ({
    arxivId: paper.id,
    title: paper.title,
    abstract: String(paper.summary ?? ""),
    aiSummary: (paper.ai_summary as string | undefined) ?? null,
    authors: ((paper.authors as Array<{ name: string }> | undefined) ?? []).map((author) => author.name),
    upvotes: paper.upvotes,
    comments: 0,
    githubUrl: (paper.githubRepo as string | undefined) ?? null,
    source: "hf",
    thumbnail: { width: 1200, height: 630 },
  }));
}

function digestFor(id: number, papers: DigestPaper[], reason: string, overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  const message = composeDigest(
    templates,
    settings,
    { id, email: `reader${id}@example.org` },
    { key: "daily:2026-05-14", date: "2026-05-14", entries: papers.map((paper) => ({ paper, reason })), topics: ["agents", "diffusion"], personal: true, links: links(id) },
  );
  return { ...message, ...overrides };
}

async function nodemailerBytes(message: OutgoingMessage): Promise<string> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "windows" });
  return ((await transport.sendMail(nodemailerOptions(message))).message as Buffer).toString("utf8");
}

const HEADERS_COMPARED = ["from", "to", "subject", "message-id", "list-id", "list-unsubscribe", "list-unsubscribe-post", "auto-submitted", "x-auto-response-suppress", "mime-version"];

function expectSameMessage(ours: ParsedMail, theirs: ParsedMail) {
  for (const name of HEADERS_COMPARED) expect({ name, value: ours.headers.get(name) }).toEqual({ name, value: theirs.headers.get(name) });
  expect(ours.headers.get("content-type")).toMatchObject({ value: "multipart/alternative" });
  expect(ours.date).toBeInstanceOf(Date);
  expect(ours.text).toBe(theirs.text);
  expect(ours.html).toBe(theirs.html);
}

/** Every line of the raw message: CRLF-terminated, no bare CR or LF, at most 78 characters (RFC 5322 §2.1.1). */
function expectWellFormed(raw: string) {
  expect(raw.endsWith("\r\n")).toBe(true);
  const lines = raw.slice(0, -2).split("\r\n");
  expect(lines.filter((line) => /[\r\n]/.test(line))).toEqual([]);
  expect(lines.filter((line) => line.length > 78)).toEqual([]);
}

describe("buildMessage", () => {
  it("builds what nodemailer builds from the same html and text, for real digests", async () => {
    const papers = realPapers();
    expect(papers.length).toBeGreaterThan(5);
    const messages = [
      digestFor(1, papers.slice(0, 8), "Matched “agents” in the title"),
      digestFor(2, papers.slice(3, 12), "Similar to papers you liked: diffusion"),
      // Non-ASCII everywhere a header can take it.
      digestFor(3, papers.slice(0, 2), "Matched “ünïcode”", {
        subject: "2 new papers: Ünïcode “quotes” and a title long enough to be folded over two lines",
        from: "Pâperboy Läb <digest@paperboy.example.org>",
      }),
      digestFor(4, papers.slice(0, 1), "x", { list: undefined }),
    ];
    for (const message of messages) {
      const raw = buildMessage(message, new Date("2026-05-14T06:00:00Z"));
      expectWellFormed(raw);
      expectSameMessage(await simpleParser(raw), await simpleParser(await nodemailerBytes(message)));
      // The second time the lines come from the cache: the same bytes but for the boundary.
      const again = buildMessage(message, new Date("2026-05-14T06:00:00Z"));
      const boundary = (text: string) => /boundary="([^"]+)"/.exec(text)![1]!;
      expect(again.replaceAll(boundary(again), "B")).toBe(raw.replaceAll(boundary(raw), "B"));
    }
  });

  it("keeps text that quoted-printable must escape: trailing spaces, '=', lone CRs, long lines, lines of a dot, every plane of Unicode", async () => {
    const awkward = [
      "line with trailing spaces   ",
      "tab at the end\t",
      "a = b and =3D",
      "lone\rCR",
      ".",
      ".starts with a dot",
      "From the start",
      "x".repeat(300),
      `${"é".repeat(100)}😀${"a".repeat(75)}`,
      "",
    ].join("\n");
    const message: OutgoingMessage = {
      from: "paperboy <digest@paperboy.example.org>",
      to: "ada@example.org",
      subject: "awkward",
      html: `<p>${awkward}</p>\n`,
      text: awkward,
      messageId: "<awkward@paperboy.example.org>",
    };
    const raw = buildMessage(message, new Date());
    expectWellFormed(raw);
    const parsed = await simpleParser(raw);
    expect(parsed.text).toBe(awkward);
    expect(parsed.html).toBe(`<p>${awkward}</p>\n`);
  });

  it("encodes any text so that it decodes back to itself, in lines of at most 76 (seeded; PAPERBOY_TEST_SEED replays)", async () => {
    const seed = loadSeed();
    console.log(`mime property seed ${seed}`);
    const next = random(seed);
    const alphabet = ["a", "b", " ", "\t", "=", ".", "\n", "\r\n", "é", "€", "😀", '<a href="x">', "\u00a0", "-"];
    for (let round = 0; round < 200; round++) {
      const length = Math.floor(next() * 300);
      let text = "";
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
      const encoded = encodeQuotedPrintable(text);
      const lines = encoded.split("\r\n");
      expect({ seed, round, long: lines.filter((line) => line.length > 76) }).toEqual({ seed, round, long: [] });
      const parsed = await simpleParser(`Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${encoded}`);
      // mailparser reads line ends as LF.
      expect({ seed, round, text: parsed.text ?? "" }).toEqual({ seed, round, text: text.replace(/\r\n/g, "\n") });
    }
  });

  it("refuses a header value with a line break (header injection)", () => {
    const message = digestFor(5, realPapers().slice(0, 1), "x", { subject: "hi\r\nBcc: everyone@example.org" });
    expect(() => buildMessage(message, new Date())).toThrow(/subject contains a line break/);
  });
});

describe("sending a built message over SMTP", () => {
  it("arrives whole: dots stuffed and unstuffed, DKIM verifying over the headers and the body", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "der" } });
    const mailer = createSmtpMailer({ url: sink.url, dkim: { domainName: "paperboy.example.org", keySelector: "pb2026", privateKey } });
    const message = digestFor(6, realPapers().slice(0, 6), "Matched “agents”");
    const dotted = { ...message, to: "dots@example.org", text: `${message.text}\n.\n..two dots\n.one dot` };
    await mailer.send(dotted);
    await mailer.close();
    const received = sink.messages.find((candidate) => candidate.to.includes("dots@example.org"))!;
    expect(received.parsed.text).toBe(dotted.text);
    // Unstuffed as sent: unstuffed on the wire, the lone dot would have ended the data there.
    expect(received.raw).toContain("\r\n.\r\n..two dots\r\n.one dot\r\n");
    expect(received.parsed.html).toBe(message.html);
    const resolver = async (name: string, type: string) => {
      if (type !== "TXT" || name !== "pb2026._domainkey.paperboy.example.org") throw Object.assign(new Error(`no ${type} for ${name}`), { code: "ENOTFOUND" });
      return [[`v=DKIM1; k=rsa; p=${publicKey.toString("base64")}`]];
    };
    const verified = await dkimVerify(Buffer.from(received.raw), { resolver });
    expect(verified.results.map((result: { status: { result: string } }) => result.status.result)).toEqual(["pass"]);
    // And a tampered body does not verify: the check can fail.
    const tampered = received.raw.replace("Matched", "Hatched");
    const broken = await dkimVerify(Buffer.from(tampered), { resolver });
    expect(broken.results.map((result: { status: { result: string } }) => result.status.result)).toEqual(["neutral"]);
  });
});
