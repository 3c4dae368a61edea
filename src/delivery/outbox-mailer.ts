// The default mailer when no SMTP server is configured: each message becomes an
// .eml file (the exact bytes SMTP would carry) plus an .html file to open in a browser.
import { createHash } from "node:crypto";
import { chmod, mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Mailer, OutgoingMessage, SendResult } from "./mailer.ts";
import { buildMessage } from "./mime.ts";

/**
 * Writes to `<dir>/<tag>/<recipient>.<id>.{eml,html}`; each file appears whole or
 * not at all. The messages carry live signed links, so files are 0600 and their
 * folders 0700 (also folders made earlier with laxer modes).
 */
export function createOutboxMailer(dir: string): Mailer {
  return {
    description: path.resolve(dir),
    async send(message: OutgoingMessage): Promise<SendResult> {
      const eml = buildMessage(message, new Date());
      const folder = path.join(dir, safeName(message.tag ?? "messages"));
      await mkdir(folder, { recursive: true, mode: 0o700 });
      await Promise.all([chmod(dir, 0o700), chmod(folder, 0o700)]);
      const id = createHash("sha256").update(message.messageId).digest("hex").slice(0, 8);
      const base = path.join(folder, `${safeName(message.to)}.${id}`);
      await writeAtomically(`${base}.eml`, eml);
      await writeAtomically(`${base}.html`, message.html);
      return { messageId: message.messageId, response: `written to ${base}.eml` };
    },
    async close() {},
  };
}

async function writeAtomically(file: string, data: string | Buffer): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, data, { mode: 0o600 });
  await rename(temporary, file);
}

function safeName(value: string): string {
  return value.replace(/[^A-Za-z0-9@._+-]/g, "_").slice(0, 120);
}
