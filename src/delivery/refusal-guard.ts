// Stops a run when the relay refuses recipient after recipient: a 5xx that hits
// everyone is about the relay (relaying denied, a policy, lost credentials, a
// misconfigured server), never a reason to give up on the list.
import type { ErrorCode } from "../errors.ts";

/** Permanent refusals in a row (without a send in between) after which the run stops. */
export const REFUSAL_LIMIT = 5;

const REFUSALS: ReadonlySet<ErrorCode> = new Set(["RECIPIENT_REJECTED", "RELAY_REJECTED", "MESSAGE_REJECTED"]);

export type Recipient = { subscriberId: number; email: string };

export type RefusalGuard = {
  /** Counts one send: `undefined` when it went out, else the failure's code and message. */
  record(failure: { code: ErrorCode; message: string } | undefined, recipient: Recipient): void;
  /** Why sending must stop, once `limit` refusals came in a row; undefined until then. Stays set. */
  stopReason(): string | undefined;
  /** Once stopped: the hard bounces of the streak (and of sends still in flight then), to be taken back. */
  streakBounces(): Recipient[];
};

/**
 * A guard for one run (or one batch). Any 5xx counts, hard bounces included, so a
 * relay that answers "5.1.1 user unknown" to everyone also stops the run; other
 * failures (4xx, connection lost) neither count nor break the streak, a send does.
 */
export function createRefusalGuard(options: { limit?: number } = {}): RefusalGuard {
  const limit = options.limit ?? REFUSAL_LIMIT;
  let streak = 0;
  let bounces: Recipient[] = [];
  let reason: string | undefined;
  return {
    record(failure, recipient) {
      if (failure?.code === "RECIPIENT_REJECTED") bounces.push(recipient);
      if (reason) return;
      if (!failure) {
        streak = 0;
        bounces = [];
        return;
      }
      if (!REFUSALS.has(failure.code)) return;
      streak++;
      if (streak < limit) return;
      const unknown = bounces.length > 0 ? ` (${bounces.length} answered "unknown user": not taken as bounces, retried)` : "";
      reason = `the SMTP relay refused ${streak} recipients in a row (last: ${failure.code}: ${failure.message.slice(0, 300)}); nobody was suppressed${unknown}`;
    },
    stopReason: () => reason,
    streakBounces: () => (reason ? [...bounces] : []),
  };
}
