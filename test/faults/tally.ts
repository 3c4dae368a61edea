// Counts one fault case from what the SMTP sink received and what the ledger says:
// who got the day's digest once, who got none, the extra copies and which of them
// the ledger flagged as possible duplicates, and who was suppressed.
import type { Db } from "../../src/db/client.ts";
import { hashAddress } from "../../src/subscriptions/store.ts";
import type { ReceivedMessage } from "../helpers/smtp-sink.ts";

export type Tally = {
  case: string;
  n: number;
  sentOnce: number;
  lost: number;
  duplicated: number;
  flagged: number;
  /** Extra copies whose ledger row is not flagged possibleDuplicate: a broken promise. */
  unflagged: number;
  wronglySuppressed: number;
  /** Rows flagged possibleDuplicate (a flag is a "maybe": more rows than duplicates is expected). */
  flaggedRows: number;
  notes: string[];
};

/**
 * `expected`: the addresses that should have received the day's digest exactly
 * once; `bad`: addresses that should get nothing and be suppressed (they are
 * neither lost nor wrongly suppressed).
 */
export async function tallyCase(db: Db, name: string, messages: ReceivedMessage[], expected: string[], bad: string[] = []): Promise<Tally> {
  const copies = new Map<string, number>();
  for (const message of messages) for (const to of message.to) copies.set(to, (copies.get(to) ?? 0) + 1);
  const flaggedEmails = new Set((await db.delivery.findMany({ where: { possibleDuplicate: true }, select: { subscriber: { select: { email: true } } } })).map((row) => row.subscriber.email));
  let duplicated = 0;
  let flagged = 0;
  for (const [email, count] of copies) {
    if (count < 2) continue;
    duplicated += count - 1;
    if (flaggedEmails.has(email)) flagged += count - 1;
  }
  const suppressedHashes = new Set((await db.suppression.findMany({ where: { liftedAt: null }, select: { addressHash: true } })).map((row) => row.addressHash));
  const notActive = new Set((await db.subscriber.findMany({ where: { email: { in: expected }, status: { not: "active" } }, select: { email: true } })).map((row) => row.email));
  const wronglySuppressed = expected.filter((email) => notActive.has(email) || suppressedHashes.has(hashAddress(email))).length;
  const notes: string[] = [];
  const badReceived = bad.filter((email) => (copies.get(email) ?? 0) > 0).length;
  const badSuppressed = bad.filter((email) => suppressedHashes.has(hashAddress(email))).length;
  if (bad.length > 0) notes.push(`${badSuppressed}/${bad.length} bad addresses suppressed, ${badReceived} mailed`);
  return {
    case: name,
    n: expected.length + bad.length,
    sentOnce: expected.filter((email) => copies.get(email) === 1).length,
    lost: expected.filter((email) => !copies.has(email)).length,
    duplicated,
    flagged,
    unflagged: duplicated - flagged,
    wronglySuppressed,
    flaggedRows: flaggedEmails.size,
    notes,
  };
}

/** `count` active subscribers `prefix0@example.org`…, daily, due at any hour. */
export async function seedSubscribers(db: Db, count: number, prefix = "r"): Promise<string[]> {
  const emails = Array.from({ length: count }, (_, i) => `${prefix}${i}@example.org`);
  await db.subscriber.createMany({ data: emails.map((email) => ({ email, status: "active" as const, maxPapers: 2 })) });
  return emails;
}
