// Sends one digest under the ledger's protection: claim, send, record.
import type { Db } from "../db/client.ts";
import { AppError, describeError } from "../errors.ts";
import { claimDelivery, recordFailure, recordSent, skipClaim, type SentPick } from "./ledger.ts";
import type { Mailer, OutgoingMessage } from "./mailer.ts";

export type DeliveryOutcome =
  | { status: "sent"; messageId: string; possibleDuplicate: boolean }
  | { status: "failed"; error: AppError; retryAt?: Date; possibleDuplicate: boolean }
  /** Another run or worker holds or finished this digest. */
  | { status: "not-claimed" }
  /** The subscriber is no longer active (unsubscribed after planning). */
  | { status: "skipped"; reason: string };

export type SendJob = { subscriberId: number; digestKey: string; runId?: number; message: OutgoingMessage; picks: SentPick[] };

export type SendDeps = {
  db: Db;
  mailer: Mailer;
  now: () => Date;
  /** A hard bounce: the address does not exist; the subscriptions stage puts it on the suppression list. */
  suppressBounced(address: string, reason: string): Promise<void>;
};

/**
 * Claims the ledger row, sends, and records the outcome. Never throws for a
 * send failure: the failure is recorded on the row and returned.
 */
export async function sendDigest(deps: SendDeps, job: SendJob): Promise<DeliveryOutcome> {
  const claim = await claimDelivery(deps.db, job, deps.now());
  if (!claim) return { status: "not-claimed" };
  // Re-checked under the claim: an unsubscribe takes effect before the next send, even mid-run.
  if (claim.subscriberStatus !== "active") {
    const reason = `subscriber is ${claim.subscriberStatus}`;
    await skipClaim(deps.db, claim, reason);
    return { status: "skipped", reason };
  }
  try {
    await deps.mailer.send(job.message);
  } catch (thrown) {
    const error = thrown instanceof AppError ? thrown : new AppError("SEND_FAILED", describeError(thrown), { cause: thrown, permanent: false });
    const possibleDuplicate = claim.possibleDuplicate || error.code === "SMTP_OUTCOME_UNKNOWN";
    const retryAt = await recordFailure(deps.db, claim, error, deps.now(), { possibleDuplicate });
    // A hard bounce: the address does not exist. Never plan it again.
    if (error.code === "RECIPIENT_REJECTED") await deps.suppressBounced(job.message.to, `hard bounce: ${error.message}`);
    return { status: "failed", error, retryAt, possibleDuplicate };
  }
  await recordSent(deps.db, claim, { subscriberId: job.subscriberId, messageId: job.message.messageId, picks: job.picks }, deps.now());
  return { status: "sent", messageId: job.message.messageId, possibleDuplicate: claim.possibleDuplicate };
}
