// The outbox in a browser (letter_opener, Mailpit): while no SMTP server is
// configured, the messages the outbox mailer wrote, newest first, each shown
// whole — its headers, its HTML in a sandboxed frame, its text part, its size.
// Behind the operator's login (the messages carry live signed links).
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { simpleParser, type AddressObject } from "mailparser";
import { AppError } from "../../errors.ts";
import type { WebDeps } from "../web-deps.ts";
import type { AdminGate } from "./admin.ts";
import { sendPage } from "../respond.ts";

/** Messages listed at most (the newest). */
const SHOWN = 200;
/** A message file as the list links it: `<folder>/<name>.eml`, names as outbox-mailer.ts makes them. */
const FILE = /^[A-Za-z0-9@._+-]{1,120}\/[A-Za-z0-9@._+-]{1,160}\.eml$/;
/** The HTML part in its frame: no script, nothing from elsewhere, its own styles; the frame's sandbox makes it an opaque origin. */
const MAIL_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

type Listed = { file: string; folder: string; to: string; subject: string; written: Date; size: number };

export function registerOutboxRoutes(app: FastifyInstance, deps: WebDeps, gate: AdminGate): void {
  const outbox = () => {
    if (!deps.outboxDir) throw new AppError("NOT_FOUND", `There is no outbox: mail goes to the SMTP server ${deps.mailer.description}.`);
    return deps.outboxDir;
  };

  app.get("/outbox", async (request, reply) => {
    // The login first: whether there is an outbox, and where mail goes otherwise, is the operator's to know.
    if (!(await gate.allow(request, reply))) return reply;
    const dir = outbox();
    const query = request.query as { to?: string; day?: string };
    const to = (query.to ?? "").trim().toLowerCase();
    const day = /^\d{4}-\d\d-\d\d$/.test(query.day ?? "") ? query.day! : "";
    const all = await listMessages(dir);
    const matching = all.filter((message) => (!to || message.to.toLowerCase().includes(to)) && (!day || message.folder === day || message.written.toISOString().startsWith(day)));
    const shown = matching.slice(0, SHOWN);
    return sendPage(deps, reply, "outbox", {
      ...gate.view(request, reply, "Outbox"),
      dir: path.resolve(dir),
      to: query.to ?? "",
      day,
      matching: matching.length,
      total: all.length,
      filtered: Boolean(to || day),
      shown: shown.length,
      messages: shown.map((message) => ({
        ...message,
        file: encodeURIComponent(message.file),
        written: `${message.written.toISOString().slice(0, 19).replace("T", " ")} UTC`,
        size: kilobytes(message.size),
      })),
    });
  });

  app.get("/outbox/message", async (request, reply) => {
    // The login first: whether there is an outbox, and where mail goes otherwise, is the operator's to know.
    if (!(await gate.allow(request, reply))) return reply;
    const dir = outbox();
    const { file, raw, size } = await readMessage(dir, request);
    const parsed = await simpleParser(raw);
    // As written, unfolded; the address and subject headers decoded (RFC 2047), as a mail client shows them.
    const decoded: Record<string, string | undefined> = { subject: parsed.subject, from: addressText(parsed.from), to: addressText(parsed.to) };
    const headers = [...parsed.headerLines].map((line) => {
      const name = line.line.slice(0, line.line.indexOf(":"));
      return {
        name,
        value:
          decoded[name.toLowerCase()] ??
          line.line
            .slice(line.line.indexOf(":") + 1)
            .replace(/\r?\n[ \t]+/g, " ")
            .trim(),
      };
    });
    return sendPage(deps, reply, "outbox-message", {
      ...gate.view(request, reply, parsed.subject ?? "(no subject)"),
      file: encodeURIComponent(file),
      size: kilobytes(size),
      headers,
      text: parsed.text ?? "",
    });
  });

  app.get("/outbox/html", async (request, reply) => {
    // The login first: whether there is an outbox, and where mail goes otherwise, is the operator's to know.
    if (!(await gate.allow(request, reply))) return reply;
    const dir = outbox();
    const parsed = await simpleParser((await readMessage(dir, request)).raw);
    return reply
      .header("content-security-policy", MAIL_CSP)
      .type("text/html; charset=utf-8")
      .send(typeof parsed.html === "string" ? parsed.html : "<p>This message has no HTML part.</p>");
  });

  app.get("/outbox/raw", async (request, reply) => {
    // The login first: whether there is an outbox, and where mail goes otherwise, is the operator's to know.
    if (!(await gate.allow(request, reply))) return reply;
    const dir = outbox();
    const { file, raw } = await readMessage(dir, request);
    return reply
      .type("message/rfc822")
      .header("content-disposition", `attachment; filename="${path.basename(file)}"`)
      .send(raw);
  });
}

/** Every .eml in the outbox's folders with its recipient, subject and time, newest first (headers read from each file's start). */
async function listMessages(dir: string): Promise<Listed[]> {
  const folders = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: Listed[] = [];
  for (const folder of folders.filter((entry) => entry.isDirectory())) {
    for (const name of (await readdir(path.join(dir, folder.name))).filter((entry) => entry.endsWith(".eml"))) {
      const full = path.join(dir, folder.name, name);
      const [info, head] = await Promise.all([stat(full), readHead(full)]);
      found.push({ file: `${folder.name}/${name}`, folder: folder.name, to: header(head, "To"), subject: decodeSubject(header(head, "Subject")), written: info.mtime, size: info.size });
    }
  }
  return found.sort((a, b) => b.written.getTime() - a.written.getTime() || a.file.localeCompare(b.file));
}

async function readHead(file: string): Promise<string> {
  const text = await readFile(file, "utf8");
  const end = text.indexOf("\r\n\r\n");
  return end < 0 ? text.slice(0, 8192) : text.slice(0, end);
}

function header(head: string, name: string): string {
  const match = new RegExp(`^${name}:[ \\t]*(.*(?:\\r\\n[ \\t].*)*)`, "im").exec(head);
  return match ? match[1]!.replace(/\r\n[ \t]+/g, " ").trim() : "";
}

/** An RFC 2047 subject (=?UTF-8?B|Q?…?=) in plain text. */
function decodeSubject(value: string): string {
  return value.replace(/=\?UTF-8\?([BQ])\?([^?]*)\?=\s*/gi, (_match, encoding: string, text: string) =>
    encoding.toUpperCase() === "B"
      ? Buffer.from(text, "base64").toString("utf8")
      : Buffer.from(
          text.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_hex, code: string) => String.fromCharCode(Number.parseInt(code, 16))),
          "latin1",
        ).toString("utf8"),
  );
}

/** The message `?file=` names, read from inside the outbox only. */
async function readMessage(dir: string, request: FastifyRequest): Promise<{ file: string; raw: Buffer; size: number }> {
  const file = (request.query as { file?: string }).file ?? "";
  if (!FILE.test(file) || file.includes("..")) throw new AppError("NOT_FOUND", "There is no such message in the outbox.");
  const full = path.join(dir, file);
  if (path.relative(path.resolve(dir), path.resolve(full)).startsWith("..")) throw new AppError("NOT_FOUND", "There is no such message in the outbox.");
  const raw = await readFile(full).catch(() => {
    throw new AppError("NOT_FOUND", "There is no such message in the outbox.");
  });
  return { file, raw, size: raw.length };
}

function addressText(value: AddressObject | AddressObject[] | undefined): string | undefined {
  if (!value) return undefined;
  return [value]
    .flat()
    .map((address) => address.text)
    .join(", ");
}

function kilobytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} kB`;
}
