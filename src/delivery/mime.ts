// The message as sent (RFC 5322): headers, a multipart/alternative body, both
// parts quoted-printable. nodemailer rebuilds and re-encodes every ~50 kB part
// of every message (59 % of a worker's CPU, issue 16); here each distinct line of
// a part is encoded once and kept, so the frame and the paper cards that every
// reader of a day shares are encoded once, and only the lines carrying one
// reader's values (the signed links, the reason a paper was picked) are encoded
// per message. Quoted-printable is line-local (a hard line break ends every
// soft-wrapped run), so encoding line by line gives the same bytes as encoding
// the whole. Header values are encoded and folded by nodemailer's own functions;
// nodemailer's pool sends the result as `raw` (dot-stuffing, DKIM signing).
import { randomBytes } from "node:crypto";
import { encodeWord, foldLines, isPlainText, quoteString } from "nodemailer/lib/mime-funcs";
import MimeNode from "nodemailer/lib/mime-node";
import { encode, wrap } from "nodemailer/lib/qp";
import { AppError } from "../errors.ts";
import type { OutgoingMessage } from "./mailer.ts";

/** Encoded lines kept: a day's frames and cards, with room; past it the cache starts over (bounded memory). */
const LINES_KEPT = 50_000;
/** Lines longer than this are encoded each time: they are a reader's own (a long URL) or absurd, and would bloat the cache. */
const LONGEST_KEPT = 2_000;

const encodedLines = new Map<string, string>();
/**
 * Fingerprints of lines seen once. A line is kept only when it comes back: the
 * frame and shared cards do, the lines with one reader's signed links never do,
 * and keeping those filled the cache with strings that survived every young
 * collection only to die old (GC was a third of a worker's CPU). Numbers, so
 * remembering a line keeps none of its text alive.
 */
const seenOnce = new Set<number>();
const SEEN_KEPT = 200_000;

/** `text` quoted-printable encoded with CRLF line ends, lines ≤ 76 characters; each distinct line encoded once. */
export function encodeQuotedPrintable(text: string): string {
  let out = "";
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    let encoded = encodedLines.get(line);
    if (encoded === undefined) {
      // A lone CR is data, never a line end: encoded, so no bare CR reaches the wire.
      encoded = wrap(encode(line).replace(/\r/g, "=0D"), 76);
      if (line.length <= LONGEST_KEPT && secondSighting(line)) {
        if (encodedLines.size >= LINES_KEPT) encodedLines.clear();
        // A copy: the slice would keep the whole message it was cut from alive (V8 sliced strings).
        // A lone surrogate becomes U+FFFD in the copy, which encodes to the same bytes.
        encodedLines.set(Buffer.from(line, "utf8").toString("utf8"), encoded);
      }
    }
    out += end < text.length ? `${encoded}\r\n` : encoded;
    start = end + 1;
  }
  return out;
}

/** Whether `line` was seen before (by a 30-bit FNV-1a fingerprint: a collision only keeps a line once too often). */
function secondSighting(line: string): boolean {
  let hash = 0x811c9dc5;
  for (let i = 0; i < line.length; i++) hash = Math.imul(hash ^ line.charCodeAt(i), 0x01000193);
  hash >>>= 2; // 30 bits: a small integer, stored in the set without a heap number
  if (seenOnce.delete(hash)) return true;
  if (seenOnce.size >= SEEN_KEPT) seenOnce.clear();
  seenOnce.add(hash);
  return false;
}

const header = (key: string, value: string) => `${foldLines(`${key}: ${value}`, 76)}\r\n`;

/** "paperboy <digest@example.org>" as a header value (an encoded word for a non-ASCII name, punycode for a non-ASCII domain), once per sender. */
const fromHeaders = new Map<string, string>();

/**
 * The whole message, ready for SMTP DATA (CRLF line ends; the transport
 * dot-stuffs). `date` is the Date header. The headers are those nodemailer
 * would write for the same message (see test/delivery/mime.test.ts).
 */
export function buildMessage(message: OutgoingMessage, date: Date): string {
  for (const [field, value] of Object.entries({ to: message.to, from: message.from, subject: message.subject })) {
    // Header injection guard: a CR/LF in our data is always a bug or an attack.
    if (/[\r\n]/.test(value)) throw new AppError("INVALID_ARGUMENT", `${field} contains a line break`, { field });
  }
  let from = fromHeaders.get(message.from);
  if (from === undefined) {
    from = header("From", MimeNode.encodeHeaderValue("From", message.from));
    if (fromHeaders.size < 100) fromHeaders.set(message.from, from);
  }
  const boundary = `--_paperboy-${randomBytes(12).toString("hex")}`;
  let head = `Auto-Submitted: auto-generated\r\nX-Auto-Response-Suppress: OOF, AutoReply\r\n`;
  if (message.list) head += "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n";
  head += from;
  head += header("To", MimeNode.encodeHeaderValue("To", message.to));
  head += header("Subject", MimeNode.encodeHeaderValue("Subject", message.subject));
  head += header("Message-ID", MimeNode.encodeHeaderValue("Message-ID", message.messageId));
  if (message.list) {
    head += header("List-ID", `${listName(message.list.name)} <${message.list.id.replace(/[^\x21-\x3b\x3d\x3f-\x7e]/g, "")}>`);
    head += header("List-Unsubscribe", `<${message.list.unsubscribeUrl.replace(/[\x00-\x20<>\x7f]/g, "")}>`);
  }
  head += `Date: ${date.toUTCString().replace(/GMT$/, "+0000")}\r\n`;
  head += `MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary="${boundary}"\r\n\r\n`;
  const part = (type: string, body: string) => `--${boundary}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${encodeQuotedPrintable(body)}\r\n`;
  return `${head}${part("text/plain", message.text)}${part("text/html", message.html)}--${boundary}--\r\n`;
}

/** The List-ID's phrase: quoted, or an encoded word when it is not plain ASCII (as nodemailer's list headers write it). */
function listName(name: string): string {
  const comment = name.replace(/\r?\n|\r/g, " ");
  return isPlainText(comment) && !comment.includes("\x7f") ? quoteString(comment) : encodeWord(comment);
}

/** The SMTP envelope of a message: nodemailer cannot read it from a raw message. */
export function envelopeOf(message: OutgoingMessage): { from: string; to: string[] } {
  return { from: message.from, to: [message.to] };
}
