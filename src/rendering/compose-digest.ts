// Turns one subscriber's picks into a ready-to-send message: rendered parts,
// the signed links it is given, and the bulk-mail headers.
import { hash } from "node:crypto";
import { mailDomain, type OutgoingMessage } from "../delivery/mailer.ts";
import { renderDigest, type DigestEntry } from "./render-digest.ts";
import type { Templates } from "./templates.ts";

export type DigestLinks = { manageUrl: string; unsubscribeUrl: string; viewUrl: string; feedbackUrl: string };

export type DigestLetter = {
  key: string;
  /** The date the email shows (YYYY-MM-DD). */
  date: string;
  /** The papers in the order sent, each with the line saying why. */
  entries: DigestEntry[];
  /** The subscriber's topics in words (keywords and phrases, as typed): named, and offered a "less of this" link. */
  topics: string[];
  /** Picked for the subscriber's topics; false: the trending list. */
  personal: boolean;
  links: DigestLinks;
};

/** Builds the message of digest `letter` for the subscriber; pure. */
export function composeDigest(
  templates: Templates,
  settings: { from: string; listName: string; senderAddress?: string; publicUrl: string },
  recipient: { id: number; email: string; textOnly?: boolean },
  letter: DigestLetter,
): OutgoingMessage {
  const rendered = renderDigest(templates, {
    listName: settings.listName,
    email: recipient.email,
    date: letter.date,
    topics: letter.topics,
    personal: letter.personal,
    senderAddress: settings.senderAddress,
    papers: letter.entries,
    manageUrl: letter.links.manageUrl,
    viewUrl: letter.links.viewUrl,
    feedback: { base: letter.links.feedbackUrl, topics: letter.topics },
    unsubscribeUrl: letter.links.unsubscribeUrl,
    thumbnails: recipient.textOnly ? undefined : `${settings.publicUrl}/thumbnails`,
  });
  const domain = mailDomain(settings.from);
  return {
    from: settings.from,
    to: recipient.email,
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    messageId: digestMessageId(recipient.id, letter.key, domain),
    list: { unsubscribeUrl: letter.links.unsubscribeUrl, id: `digest.${domain}`, name: settings.listName },
    tag: letter.date,
  };
}

/** The same (subscriber, digest) always gets the same Message-ID, so receivers can drop a duplicate. */
export function digestMessageId(subscriberId: number, digestKey: string, domain: string): string {
  return `<${hash("sha256", `${subscriberId}:${digestKey}`, "hex").slice(0, 32)}@${domain}>`;
}
