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
  /** https URL for List-Unsubscribe and RFC 8058 one-click POST. */
  unsubscribeUrl: string;
  /** List-Id value, e.g. "digest.example.org". */
  listId: string;
  listName: string;
  /** Groups messages in the outbox, e.g. the digest date. */
  tag?: string;
};

export type SendResult = { messageId: string; response: string };

export type Mailer = {
  /** Where messages go, for reports: "smtp://host:port" or the outbox folder. */
  readonly description: string;
  /** Sends one message. Throws AppError RECIPIENT_REJECTED (permanent), SMTP_TEMPORARY or SMTP_UNAVAILABLE. */
  send(message: OutgoingMessage): Promise<SendResult>;
  close(): Promise<void>;
};

/** The nodemailer options for a message, with the bulk-mail headers mailbox providers expect. */
export function toMailOptions(message: OutgoingMessage): SendMailOptions {
  for (const [field, value] of Object.entries({ to: message.to, from: message.from, subject: message.subject })) {
    // Header injection guard: nodemailer folds headers, but a CR/LF in our data is always a bug or an attack.
    if (/[\r\n]/.test(value)) throw new AppError("INVALID_ARGUMENT", `${field} contains a line break`, { field });
  }
  return {
    from: message.from,
    to: message.to,
    subject: message.subject,
    html: message.html,
    text: message.text,
    messageId: message.messageId,
    list: {
      id: { url: message.listId, comment: message.listName },
      unsubscribe: message.unsubscribeUrl,
    },
    headers: {
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      "Auto-Submitted": "auto-generated",
      "X-Auto-Response-Suppress": "OOF, AutoReply",
    },
  };
}
