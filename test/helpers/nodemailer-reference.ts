// The message as nodemailer composes it from html and text, with the headers
// paperboy's messages carry: what buildMessage (src/delivery/mime.ts) must match,
// and the bench's baseline (the way every Node mailer sends).
import type { SendMailOptions } from "nodemailer";
import type { OutgoingMessage } from "../../src/delivery/mailer.ts";

/** The nodemailer options for a message; list mail gets the bulk-mail headers mailbox providers expect. */
export function nodemailerOptions(message: OutgoingMessage): SendMailOptions {
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
