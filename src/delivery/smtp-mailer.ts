// Sends through an SMTP server with one pooled nodemailer transport: the message
// is built by buildMessage and sent raw (nodemailer dot-stuffs and DKIM-signs it).
import nodemailer from "nodemailer";
import { AppError, describeError } from "../errors.ts";
import { isRecipientRefusal } from "./recipient-refusal.ts";
import type { Mailer, OutgoingMessage, SendResult } from "./mailer.ts";
import { buildMessage, envelopeOf } from "./mime.ts";

export type SmtpOptions = {
  /** smtp://user:pass@host:port or smtps://… */
  url: string;
  maxConnections?: number;
  /** Messages per second across the pool. */
  rate?: number;
  /** DKIM signing; nodemailer signs List-Unsubscribe and List-Unsubscribe-Post too. */
  dkim?: { domainName: string; keySelector: string; privateKey: string };
};

/** A pooled SMTP mailer; SMTP replies are mapped to AppErrors that say whether a retry can help. */
export function createSmtpMailer(options: SmtpOptions): Mailer {
  const url = new URL(options.url);
  const transport = nodemailer.createTransport({
    url: options.url,
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    // Never let the pool resend on its own after a dropped connection: it cannot know
    // whether the server already had the message. Every failure comes back to the
    // ledger, which retries with backoff and counts possible duplicates.
    maxRequeues: 0,
    ...(options.rate ? { rateDelta: 1000, rateLimit: Math.max(1, Math.round(options.rate)) } : {}),
    ...(options.dkim ? { dkim: options.dkim } : {}),
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    description: `${url.protocol}//${url.hostname}:${url.port || (url.protocol === "smtps:" ? 465 : 587)}`,
    async send(message: OutgoingMessage): Promise<SendResult> {
      try {
        const info = await transport.sendMail({ envelope: envelopeOf(message), raw: buildMessage(message, new Date()) });
        return { messageId: message.messageId, response: info.response };
      } catch (error) {
        throw classifySmtpError(error);
      }
    },
    async close() {
      transport.close();
    },
  };
}

// Failures before an SMTP session existed: nothing can have been delivered.
const CONNECT_FAILURES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EDNS", "ETLS"]);

/**
 * Maps a nodemailer error to what the ledger must do:
 * - 5xx to RCPT TO that is about the recipient (see isRecipientRefusal) →
 *   RECIPIENT_REJECTED (permanent; a hard bounce, the address is suppressed);
 * - 5xx before DATA that is not (relaying denied, policy, authentication, the relay's
 *   own system, or unclear) → RELAY_REJECTED (retried with backoff, capped; nobody is
 *   suppressed: such a reply says nothing about the address);
 * - 5xx to DATA → MESSAGE_REJECTED (permanent, the address stays);
 * - 4xx (421, 450, 454, …) → SMTP_TEMPORARY (retry);
 * - no connection at all → SMTP_UNAVAILABLE (retry; nothing was delivered);
 * - the connection lost mid-session without a reply → SMTP_OUTCOME_UNKNOWN (retry,
 *   counted as a possible duplicate: nodemailer reports a drop before DATA, a drop
 *   after the data went through, and a 421 that closes the connection all as one
 *   "connection closed", so we assume the message may have arrived).
 */
export function classifySmtpError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const { responseCode, command, code, response } = error as { responseCode?: number; command?: string; code?: string; response?: string };
  const detail = describeError(error);
  if (typeof responseCode === "number" && responseCode >= 500) {
    const reply = typeof response === "string" ? response : `${responseCode} ${detail}`;
    if (command === "DATA") return new AppError("MESSAGE_REJECTED", `SMTP ${responseCode}: ${detail}`, { cause: error, permanent: true });
    if (command === "RCPT TO" && isRecipientRefusal(reply)) return new AppError("RECIPIENT_REJECTED", `SMTP ${responseCode}: ${detail}`, { cause: error, permanent: true });
    return new AppError("RELAY_REJECTED", `SMTP ${responseCode} (the relay refused, not about the recipient): ${detail}`, { cause: error, permanent: false });
  }
  if (typeof responseCode === "number" && responseCode >= 400) return new AppError("SMTP_TEMPORARY", `SMTP ${responseCode}: ${detail}`, { cause: error, permanent: false });
  const syscallCode = (error as { errno?: unknown; cause?: { code?: string } }).cause?.code ?? code ?? "";
  if (CONNECT_FAILURES.has(syscallCode) || /ECONNREFUSED|ENOTFOUND|getaddrinfo/.test(detail) || (code === "ETIMEDOUT" && command === "CONN")) {
    return new AppError("SMTP_UNAVAILABLE", `SMTP server unavailable: ${detail}`, { cause: error, permanent: false });
  }
  return new AppError("SMTP_OUTCOME_UNKNOWN", `connection to the SMTP server lost before its reply: ${detail}`, { cause: error, permanent: false });
}
