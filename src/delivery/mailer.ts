// The Mailer port: what a message is and what sending one may throw. The SMTP
// and outbox mailers both send the bytes buildMessage (mime.ts) makes.

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

/** The domain of a From address ("paperboy <digest@example.org>" → example.org), for Message-IDs and List-Id. */
export function mailDomain(from: string): string {
  return /@([^>\s]+)>?\s*$/.exec(from)?.[1]?.toLowerCase() ?? "localhost";
}
