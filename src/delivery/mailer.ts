// The Mailer port, and the one mapping of our messages to nodemailer's, shared
// by the SMTP and outbox mailers so both produce the same bytes.
import type { SendMailOptions } from "nodemailer";
import { AppError } from "../errors.ts";

export type OutgoingMessage = {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Deterministic per (subscriber, digest), in angle brackets. */
  messageId: string;
  /** List mail only (digests): the List-Unsubscribe URL (RFC 8058 one-click POST target), List-Id and name. */
  list?: { unsubscribeUrl: string; id: string; name: string };
  /** Groups messages in the outbox, e.g. the digest date. */
  tag?: string;
};

export type SendResult = { messageId: string; response: string };

export type Mailer = {
  /** Where messages go, for reports: "smtp://host:port" or the outbox folder. */
  readonly description: string;
  /** Sends one message. Throws AppError RECIPIENT_REJECTED (permanent), RELAY_REJECTED, SMTP_TEMPORARY or SMTP_UNAVAILABLE. */
  send(message: OutgoingMessage): Promise<SendResult>;
  close(): Promise<void>;
};

/** The nodemailer options for a message; list mail gets the bulk-mail headers mailbox providers expect. */
export function toMailOptions(message: OutgoingMessage): SendMailOptions {
  for (const [field, value] of Object.entries({ to: message.to, from: message.from, subject: message.subject })) {
    // Header injection guard: nodemailer folds headers, but a CR/LF in our data is always a bug or an attack.
    if (/[\r\n]/.test(value)) throw new AppError("INVALID_ARGUMENT", `${field} contains a line break`, { field });
  }
  const options: SendMailOptions = {
    from: message.from,
    to: message.to,
    subject: message.subject,
    html: message.html,
    text: message.text,
    messageId: message.messageId,
    headers: { "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "OOF, AutoReply" },
  };
  if (message.list) {
    options.list = { id: { url: message.list.id, comment: message.list.name }, unsubscribe: message.list.unsubscribeUrl };
    options.headers = { ...options.headers, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" };
  }
  return options;
}

/** The domain of a From address ("paperboy <digest@example.org>" → example.org), for Message-IDs and List-Id. */
export function mailDomain(from: string): string {
  return /@([^>\s]+)>?\s*$/.exec(from)?.[1]?.toLowerCase() ?? "localhost";
}
