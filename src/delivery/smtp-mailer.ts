// Sends through an SMTP server with one pooled nodemailer transport.
import nodemailer from "nodemailer";
import { AppError, describeError } from "../errors.ts";
import { toMailOptions, type Mailer, type OutgoingMessage, type SendResult } from "./mailer.ts";

export type SmtpOptions = {
  /** smtp://user:pass@host:port or smtps://… */
  url: string;
  maxConnections?: number;
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
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    description: `${url.protocol}//${url.hostname}:${url.port || (url.protocol === "smtps:" ? 465 : 587)}`,
    async send(message: OutgoingMessage): Promise<SendResult> {
      try {
        const info = await transport.sendMail(toMailOptions(message));
        return { messageId: info.messageId, response: info.response };
      } catch (error) {
        throw classifySmtpError(error);
      }
    },
    async close() {
      transport.close();
    },
  };
}

/** 5xx → permanent RECIPIENT_REJECTED; 4xx → SMTP_TEMPORARY; no reply at all → SMTP_UNAVAILABLE. */
export function classifySmtpError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const code = (error as { responseCode?: number }).responseCode;
  const detail = describeError(error);
  if (typeof code === "number" && code >= 500) return new AppError("RECIPIENT_REJECTED", `SMTP ${code}: ${detail}`, { cause: error, permanent: true });
  if (typeof code === "number" && code >= 400) return new AppError("SMTP_TEMPORARY", `SMTP ${code}: ${detail}`, { cause: error, permanent: false });
  return new AppError("SMTP_UNAVAILABLE", `SMTP server unavailable: ${detail}`, { cause: error, permanent: false });
}
