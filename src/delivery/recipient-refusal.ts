// Which permanent replies to RCPT TO are about the recipient's address (a hard
// bounce) rather than about us or the relay (RFC 3463, RFC 5321 §4.2).

// Enhanced status codes whose subject is the destination address itself:
// X.1.1 bad mailbox, X.1.2 bad destination system, X.1.3 bad mailbox syntax,
// X.1.6 moved with no forwarding address, X.1.10 null MX (RFC 7505), X.2.1 mailbox
// disabled. Everything else is not: X.1.7/X.1.8 are the sender's address, X.2.2
// (full) and X.2.3 (too big) pass, X.3 is the receiving system, X.4 routing, X.5
// protocol, X.6 content and X.7 policy and security ("relaying denied" is 5.7.1).
const RECIPIENT_STATUSES = new Set(["1.1", "1.2", "1.3", "1.6", "1.10", "2.1"]);

const ENHANCED = /^\d{3}[ -]5\.(\d{1,3}\.\d{1,3})(?=\s|$)/;

// Without an enhanced code only 550/551/553 can name the mailbox, and relays use
// the same codes for "relaying denied": the text must say the user is unknown and
// must not mention relaying, policy, authentication or blocking.
const UNKNOWN_USER =
  /user unknown|unknown user|no such (user|mailbox|recipient|address)|(user|mailbox|recipient|address) (not found|does not exist|doesn't exist)|mailbox (unavailable|disabled)|user not local|invalid (mailbox|recipient)|recipient unknown/i;
const NOT_ABOUT_USER = /relay|denied|policy|auth|spam|block|blacklist|listed|reputation|sender|not permitted|prohibited|refused|tls|rate|limit/i;

/**
 * True when a 5xx reply to RCPT TO says the recipient's address is bad. Decided by
 * the enhanced status code when the reply has one; without it, conservatively: when
 * unsure the answer is false (the address is kept). Linear in the reply's length.
 */
export function isRecipientRefusal(reply: string): boolean {
  const text = reply.slice(0, 2000);
  const enhanced = ENHANCED.exec(text);
  if (enhanced) return RECIPIENT_STATUSES.has(enhanced[1]!);
  const code = text.slice(0, 3);
  if (code !== "550" && code !== "551" && code !== "553") return false;
  // The address itself (it could contain "relay" or "auth") is not part of the verdict.
  const words = text
    .slice(4)
    .split(/\s+/)
    .filter((word) => !word.includes("@"))
    .join(" ");
  return UNKNOWN_USER.test(words) && !NOT_ABOUT_USER.test(words);
}
