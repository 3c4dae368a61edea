// Turns one subscriber's picks into a ready-to-send message: rendered parts,
// signed links and the bulk-mail headers.
import { hash } from "node:crypto";
import { mailDomain, type OutgoingMessage } from "../delivery/mailer.ts";
import type { Pick } from "../matching/rank.ts";
import { formatTopic, type TopicSpec } from "../matching/topics.ts";
import { renderDigest, type DigestPaper } from "../rendering/render-digest.ts";
import type { Templates } from "../rendering/templates.ts";
import { signedUrl, type MailSettings } from "../subscriptions/links.ts";

export type DigestRecipient = { id: number; email: string; tokenVersion: number; topics: TopicSpec[] };

/** Builds the message for `recipient`; pure apart from reading `now` for token expiry. */
export function composeDigest(
  templates: Templates,
  settings: MailSettings,
  recipient: DigestRecipient,
  digest: { key: string; date: string; picks: Pick[]; papers: ReadonlyMap<number, DigestPaper> },
  now: Date,
): OutgoingMessage {
  const unsubscribeUrl = signedUrl(settings, "/unsubscribe", "unsubscribe", recipient, now);
  const rendered = renderDigest(templates, {
    listName: settings.listName,
    email: recipient.email,
    date: digest.date,
    topics: recipient.topics.map(formatTopic),
    papers: digest.picks.flatMap((pick) => {
      const paper = digest.papers.get(pick.paperId);
      return paper ? [{ paper, reason: pick.reason }] : [];
    }),
    manageUrl: signedUrl(settings, "/manage", "manage", recipient, now),
    viewUrl: signedUrl(settings, `/digests/${encodeURIComponent(digest.key)}`, "view", recipient, now),
    feedback: {
      base: signedUrl(settings, "/feedback", "feedback", recipient, now),
      topics: recipient.topics.filter((topic) => topic.kind === "keyword" || topic.kind === "phrase").map(formatTopic),
    },
    unsubscribeUrl,
  });
  const domain = mailDomain(settings.from);
  return {
    from: settings.from,
    to: recipient.email,
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    messageId: digestMessageId(recipient.id, digest.key, domain),
    list: { unsubscribeUrl, id: `digest.${domain}`, name: settings.listName },
    tag: digest.date,
  };
}

/** The same (subscriber, digest) always gets the same Message-ID, so receivers can drop a duplicate. */
export function digestMessageId(subscriberId: number, digestKey: string, domain: string): string {
  return `<${hash("sha256", `${subscriberId}:${digestKey}`, "hex").slice(0, 32)}@${domain}>`;
}
