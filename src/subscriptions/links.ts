// Signed links to the web app, as put in emails and pages.
import { signToken, type TokenPurpose } from "./tokens.ts";

export type LinkSettings = { secret: string; publicUrl: string };

/** What every message paperboy sends is built with: the link settings, the From header ("paperboy <digest@example.org>"), the list's name and the sender's postal address. */
export type MailSettings = LinkSettings & { from: string; listName: string; senderAddress?: string };

/** `<publicUrl><path>?token=…` signed for `purpose` and the subscriber's current token version. */
export function signedUrl(settings: LinkSettings, path: string, purpose: TokenPurpose, subscriber: { id: number; tokenVersion: number }, now: Date): string {
  const token = signToken(settings.secret, purpose, { subscriberId: subscriber.id, tokenVersion: subscriber.tokenVersion }, now);
  return `${settings.publicUrl}${path}${path.includes("?") ? "&" : "?"}token=${token}`;
}

/** The signed links of one digest email: manage, unsubscribe (the List-Unsubscribe target too), view in browser, and the feedback base the template adds paper and vote to. */
export function digestLinks(settings: LinkSettings, subscriber: { id: number; tokenVersion: number }, digestKey: string, now: Date) {
  return {
    manageUrl: signedUrl(settings, "/manage", "manage", subscriber, now),
    unsubscribeUrl: signedUrl(settings, "/unsubscribe", "unsubscribe", subscriber, now),
    viewUrl: signedUrl(settings, `/digests/${encodeURIComponent(digestKey)}`, "view", subscriber, now),
    feedbackUrl: signedUrl(settings, "/feedback", "feedback", subscriber, now),
  };
}
