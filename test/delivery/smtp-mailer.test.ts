import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OutgoingMessage } from "../../src/delivery/mailer.ts";
import { createSmtpMailer } from "../../src/delivery/smtp-mailer.ts";
import { generateKeyPairSync } from "node:crypto";
import { rawHeader, startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.ts";

let sink: SmtpSink;
beforeAll(async () => {
  const replies = { "gone@": 550, "busy@": 450, "unknown@": "550 5.1.1 No such user", "relay@": "550 5.7.1 Relaying denied", "bare@": "554 Transaction failed" } as const;
  sink = await startSmtpSink({ rejectRecipient: (address) => Object.entries(replies).find(([prefix]) => address.startsWith(prefix))?.[1] });
});
afterAll(async () => {
  await sink.close();
});

const message = (overrides: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  from: "paperboy <digest@paperboy.example>",
  to: "ada@example.org",
  subject: "3 papers on agents",
  html: "<p>Hello <b>Ada</b></p>",
  text: "Hello Ada",
  messageId: "<0123abcd@paperboy.example>",
  list: { unsubscribeUrl: "https://paperboy.example/unsubscribe?token=1.1.0.abc", id: "digest.paperboy.example", name: "paperboy" },
  ...overrides,
});

describe("createSmtpMailer", () => {
  it.each([
    ["gone@example.org", "RECIPIENT_REJECTED", true],
    ["busy@example.org", "SMTP_TEMPORARY", false],
    ["unknown@example.org", "RECIPIENT_REJECTED", true],
    // About the relay, not the address: retried (capped), never a bounce.
    ["relay@example.org", "RELAY_REJECTED", false],
    ["bare@example.org", "RELAY_REJECTED", false],
  ])("maps the reply for %s to %s (permanent: %s)", async (to, code, permanent) => {
    const mailer = createSmtpMailer({ url: sink.url });
    const before = sink.messages.length;
    await expect(mailer.send(message({ to }))).rejects.toMatchObject({ code, permanent });
    await mailer.close();
    expect(sink.messages.length).toBe(before);
  });

  it("reports an unreachable server as SMTP_UNAVAILABLE, worth retrying", async () => {
    const closed = await startSmtpSink();
    await closed.close();
    const mailer = createSmtpMailer({ url: closed.url });
    await expect(mailer.send(message())).rejects.toMatchObject({ code: "SMTP_UNAVAILABLE", permanent: false });
    await mailer.close();
  });

  it("signs with DKIM when configured, covering both List-Unsubscribe headers", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    const mailer = createSmtpMailer({ url: sink.url, dkim: { domainName: "paperboy.example", keySelector: "pb2026", privateKey } });
    await mailer.send(message({ to: "signed@example.org" }));
    await mailer.close();
    const received = sink.messages.find((candidate) => candidate.to.includes("signed@example.org"))!;
    const signature = rawHeader(received.raw, "DKIM-Signature") ?? "";
    expect(signature).toMatch(/\bd=paperboy\.example;/);
    expect(signature).toMatch(/\bs=pb2026;/);
    const signed = /\bh=([^;]+);/.exec(signature)?.[1]?.replace(/\s+/g, "").toLowerCase().split(":") ?? [];
    expect(signed).toEqual(expect.arrayContaining(["from", "subject", "list-unsubscribe", "list-unsubscribe-post", "message-id"]));
  });
});
