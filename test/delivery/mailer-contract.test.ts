// One contract for every Mailer: what reaches the far side (an SMTP server, or the
// outbox's .eml file) is the same message with the same headers.
import { chmod, mkdir, mkdtemp, readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { simpleParser, type ParsedMail } from "mailparser";
import { afterAll, describe, expect, it } from "vitest";
import type { Mailer, OutgoingMessage } from "../../src/delivery/mailer.ts";
import { createOutboxMailer } from "../../src/delivery/outbox-mailer.ts";
import { createSmtpMailer } from "../../src/delivery/smtp-mailer.ts";
import { rawHeader, startSmtpSink } from "../helpers/smtp-sink.ts";

type Harness = { mailer: Mailer; lastDelivered(): Promise<{ raw: string; parsed: ParsedMail } | undefined>; close(): Promise<void> };

const implementations: Record<string, () => Promise<Harness>> = {
  smtp: async () => {
    const sink = await startSmtpSink();
    const mailer = createSmtpMailer({ url: sink.url });
    return {
      mailer,
      lastDelivered: async () => sink.messages.at(-1),
      close: async () => {
        await mailer.close();
        await sink.close();
      },
    };
  },
  outbox: async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "paperboy-outbox-"));
    const mailer = createOutboxMailer(dir);
    return {
      mailer,
      lastDelivered: async () => {
        const folders = await readdir(dir).catch(() => []);
        const files = (await Promise.all(folders.map(async (folder) => (await readdir(path.join(dir, folder))).map((file) => path.join(dir, folder, file))))).flat();
        const eml = files
          .filter((file) => file.endsWith(".eml"))
          .sort()
          .at(-1);
        if (!eml) return undefined;
        const raw = await readFile(eml, "utf8");
        return { raw, parsed: await simpleParser(raw) };
      },
      close: () => mailer.close(),
    };
  },
};

const message = (overrides: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  from: "paperboy <digest@paperboy.example>",
  to: "ada@example.org",
  subject: "5 papers on agents · Thursday, 14 May 2026",
  html: "<p>Hello <b>Ada</b> — ünïcödé</p>",
  text: "Hello Ada — ünïcödé",
  messageId: "<0123abcd@paperboy.example>",
  list: { unsubscribeUrl: "https://paperboy.example/unsubscribe?token=1.1.0.abc", id: "digest.paperboy.example", name: "paperboy" },
  tag: "2026-05-14",
  ...overrides,
});

describe.each(Object.keys(implementations))("Mailer contract: %s", (name) => {
  const harnesses: Harness[] = [];
  const open = async () => {
    const harness = await implementations[name]!();
    harnesses.push(harness);
    return harness;
  };
  afterAll(async () => {
    for (const harness of harnesses) await harness.close();
  });

  it("delivers multipart/alternative with both parts, the given Message-ID and the list headers", async () => {
    const { mailer, lastDelivered } = await open();
    expect(mailer.description).not.toBe("");
    await mailer.send(message());
    const delivered = await lastDelivered();
    expect(delivered).toBeDefined();
    const { raw, parsed } = delivered!;
    expect(parsed.headers.get("content-type")).toMatchObject({ value: "multipart/alternative" });
    expect(parsed.subject).toBe("5 papers on agents · Thursday, 14 May 2026");
    expect(parsed.text?.trim()).toBe("Hello Ada — ünïcödé");
    expect(parsed.html).toContain("<b>Ada</b> — ünïcödé");
    expect(parsed.messageId).toBe("<0123abcd@paperboy.example>");
    expect(rawHeader(raw, "List-Unsubscribe")).toBe("<https://paperboy.example/unsubscribe?token=1.1.0.abc>");
    expect(rawHeader(raw, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
    expect(rawHeader(raw, "List-ID")).toBe('"paperboy" <digest.paperboy.example>');
    expect(rawHeader(raw, "Auto-Submitted")).toBe("auto-generated");
  });

  it.each([
    ["to", { to: "ada@example.org\r\nBcc: eve@example.org" }],
    ["subject", { subject: "hi\nBcc: eve@example.org" }],
    ["from", { from: "paperboy <digest@paperboy.example>\r\nBcc: eve@example.org" }],
  ])("refuses a line break in %s and delivers nothing", async (field, overrides) => {
    const { mailer, lastDelivered } = await open();
    await expect(mailer.send(message(overrides))).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field });
    expect(await lastDelivered()).toBeUndefined();
  });
});

describe("outbox mailer", () => {
  it("writes a viewable .html beside each .eml and leaves no temporary files", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "paperboy-outbox-"));
    const mailer = createOutboxMailer(dir);
    await mailer.send(message());
    await mailer.send(message({ to: "grace@example.org", messageId: "<other@paperboy.example>" }));
    const files = (await readdir(path.join(dir, "2026-05-14"))).sort();
    expect(files).toHaveLength(4);
    expect(files.filter((file) => file.endsWith(".tmp"))).toEqual([]);
    const html = files.find((file) => file.startsWith("ada@example.org") && file.endsWith(".html"))!;
    expect(await readFile(path.join(dir, "2026-05-14", html), "utf8")).toBe("<p>Hello <b>Ada</b> — ünïcödé</p>");
  });

  it("keeps messages private: files 0600, folders 0700, even folders made earlier as 0755 (they hold live links)", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "paperboy-outbox-"));
    await chmod(dir, 0o755);
    await mkdir(path.join(dir, "2026-05-14"), { mode: 0o755 });
    await chmod(path.join(dir, "2026-05-14"), 0o755);
    const mailer = createOutboxMailer(dir);
    await mailer.send(message());
    await mailer.send(message({ tag: "confirmations", messageId: "<third@paperboy.example>" }));
    const mode = async (file: string) => (await stat(file)).mode & 0o777;
    expect(await mode(dir)).toBe(0o700);
    for (const folder of ["2026-05-14", "confirmations"]) {
      expect(await mode(path.join(dir, folder))).toBe(0o700);
      const files = await readdir(path.join(dir, folder));
      expect(files).toHaveLength(2);
      for (const file of files) expect(await mode(path.join(dir, folder, file)), file).toBe(0o600);
    }
  });
});
