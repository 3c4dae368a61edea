// The send loop's parts: letters are claimed a chunk at a time in one ledger
// statement, sent with a bounded number in flight behind a circuit breaker and a
// guard against a relay that refuses every recipient, and their outcomes
// committed in batches (ledger-writer.ts). A letter not tried because of either
// guard is deferred: handed back to the planner.
import { sends, smtpReplies } from "../metrics.ts";
import type { Db } from "../db/client.ts";
import { AppError, describeError } from "../errors.ts";
import type { Log } from "../log.ts";
import { maskAddresses } from "../log.ts";
import type { CircuitBreaker } from "./circuit-breaker.ts";
import { CLAIM_LEASE_MS, claimDeliveries, failedOutcome, renewClaims, subscriberStatuses, type Claim, type SentPick } from "./ledger.ts";
import type { LedgerWriter } from "./ledger-writer.ts";
import type { Mailer, OutgoingMessage } from "./mailer.ts";
import type { RefusalGuard } from "./refusal-guard.ts";

export type LoopDeps = {
  db: Db;
  mailer: Mailer;
  now: () => Date;
  log: Log;
  breaker?: CircuitBreaker;
  refusals?: RefusalGuard;
  /** A hard bounce: the address does not exist; the subscriptions stage puts it on the suppression list. */
  suppressBounced(address: string, reason: string): Promise<void>;
};

/** One subscriber's digest, its message built only when it is really sent. */
export type Letter = { subscriberId: number; email: string; digestKey: string; runId?: number; picks: SentPick[]; message: () => OutgoingMessage };

/** deferred: not attempted because the circuit breaker was open or the relay refused everyone. */
export type LetterOutcome = { status: "sent" | "failed" | "skipped" | "deferred"; reason?: string; messageId?: string; possibleDuplicate?: boolean };

/**
 * An unsubscribe takes effect for a chunk being sent within this long: the
 * subscribers' statuses, read with the claims, are read again when older.
 */
export const STATUS_FRESH_MS = 1000;

/**
 * Letters claimed together: each one's claim (none: another run holds or closed
 * it), when their lease was last set and their subscribers' statuses last read,
 * and the refresh of either under way.
 */
export type ClaimedChunk = { letters: Letter[]; claims: Map<number, Claim>; leasedAt: number; checkedAt: number; refreshing?: Promise<void>; deferred?: string };

/** Runs `work` for indexes 0…count-1, at most `concurrency` at once; results in index order. */
export async function inLanes<T>(count: number, concurrency: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await work(index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  return results;
}

/** Why nothing may be sent now (the breaker is open, the relay refused everyone), or undefined. */
function holdReason(deps: LoopDeps): string | undefined {
  if (deps.breaker && !deps.breaker.allow()) return "sending paused: most recent attempts failed";
  if (deps.refusals?.stopReason()) return "sending stopped: the relay refused every recent recipient";
  return undefined;
}

/** Claims a chunk of letters of one digest key in one statement; none while sending is held back (they are deferred unclaimed). */
export async function claimLetters(deps: LoopDeps, letters: Letter[]): Promise<ClaimedChunk> {
  const now = deps.now();
  const deferred = holdReason(deps);
  const first = letters[0];
  if (deferred || !first) return { letters, claims: new Map(), leasedAt: now.getTime(), checkedAt: now.getTime(), deferred };
  const claims = await claimDeliveries(deps.db, { digestKey: first.digestKey, runId: first.runId, ids: letters.map((letter) => letter.subscriberId) }, now);
  return { letters, claims, leasedAt: now.getTime(), checkedAt: now.getTime() };
}

/**
 * Sends one letter of a claimed chunk and queues its outcome on `writer`, unless
 * the breaker or the refusal guard holds it back (released), and tells both how
 * it went. The chunk's subscriber statuses are read again when older than
 * STATUS_FRESH_MS, and its claims renewed when older than half their lease (a
 * slow relay). Never throws for a send failure; database errors are thrown.
 */
export async function sendClaimed(deps: LoopDeps, writer: LedgerWriter, chunk: ClaimedChunk, letter: Letter): Promise<LetterOutcome> {
  const outcome = await sendLetter(deps, writer, chunk, letter);
  sends.inc({ outcome: outcome.status });
  return outcome;
}

async function sendLetter(deps: LoopDeps, writer: LedgerWriter, chunk: ClaimedChunk, letter: Letter): Promise<LetterOutcome> {
  if (chunk.deferred) return { status: "deferred", reason: chunk.deferred };
  await refreshChunk(deps, chunk);
  const claim = chunk.claims.get(letter.subscriberId);
  if (!claim) return { status: "skipped", reason: "another run is sending or has sent this digest" };
  // Re-checked under the claim: an unsubscribe takes effect before the next send, even mid-run.
  if (claim.subscriberStatus !== "active") {
    const reason = `subscriber is ${claim.subscriberStatus}`;
    await writer.record({ kind: "skipped", claim, at: deps.now(), reason });
    return { status: "skipped", reason };
  }
  const held = holdReason(deps);
  if (held) {
    await writer.record({ kind: "released", claim, at: deps.now() });
    return { status: "deferred", reason: held };
  }
  const message = letter.message();
  try {
    await deps.mailer.send(message);
  } catch (thrown) {
    const error = thrown instanceof AppError ? thrown : new AppError("SEND_FAILED", describeError(thrown), { cause: thrown, permanent: false });
    smtpReplies.inc({ class: error.code });
    const possibleDuplicate = claim.possibleDuplicate || error.code === "SMTP_OUTCOME_UNKNOWN";
    const failed = failedOutcome(claim, error, deps.now(), possibleDuplicate);
    await writer.record(failed);
    // A hard bounce: the address does not exist. Never plan it again.
    if (error.code === "RECIPIENT_REJECTED") await deps.suppressBounced(message.to, `hard bounce: ${error.message}`);
    deps.breaker?.record(false);
    deps.refusals?.record(error, { subscriberId: letter.subscriberId, email: letter.email });
    deps.log.warn(`Sending to subscriber ${letter.subscriberId} (${maskAddresses(letter.email)}) failed: ${maskAddresses(error.message)}`);
    const retry = failed.nextAttemptAt ? `; retry after ${failed.nextAttemptAt.toISOString()}` : "; not retried";
    return { status: "failed", reason: `${error.code}: ${error.message}${retry}`, possibleDuplicate };
  }
  smtpReplies.inc({ class: "accepted" });
  await writer.record({ kind: "sent", claim, at: deps.now(), subscriberId: letter.subscriberId, messageId: message.messageId, picks: letter.picks });
  deps.breaker?.record(true);
  deps.refusals?.record(undefined, { subscriberId: letter.subscriberId, email: letter.email });
  return { status: "sent", messageId: message.messageId, possibleDuplicate: claim.possibleDuplicate };
}

/** Reads the chunk's statuses again and renews its claims when they are due (once, however many lanes ask); a claim whose lease passed is dropped: another worker may have it. */
async function refreshChunk(deps: LoopDeps, chunk: ClaimedChunk): Promise<void> {
  while (chunk.refreshing) await chunk.refreshing;
  const now = deps.now();
  const renew = now.getTime() - chunk.leasedAt > CLAIM_LEASE_MS / 2;
  if (!renew && now.getTime() - chunk.checkedAt <= STATUS_FRESH_MS) return;
  chunk.refreshing = (async () => {
    const claims = [...chunk.claims];
    if (renew) {
      const renewed = await renewClaims(
        deps.db,
        claims.map(([, claim]) => claim.deliveryId),
        now,
      );
      for (const [subscriberId, claim] of claims) if (!renewed.has(claim.deliveryId)) chunk.claims.delete(subscriberId);
      chunk.leasedAt = now.getTime();
    }
    const statuses = await subscriberStatuses(
      deps.db,
      claims.map(([subscriberId]) => subscriberId),
    );
    for (const [subscriberId, claim] of chunk.claims) claim.subscriberStatus = statuses.get(subscriberId) ?? "deleted";
    chunk.checkedAt = now.getTime();
  })().finally(() => {
    chunk.refreshing = undefined;
  });
  await chunk.refreshing;
}
