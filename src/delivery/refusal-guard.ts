// Stops a run when the relay refuses recipient after recipient: a 5xx that hits
// everyone is about the relay (relaying denied, a policy, lost credentials, a
// misconfigured server), never a reason to give up on the list.
import type { ErrorCode } from "../errors.ts";

/** Permanent refusals in a row (without a send in between) after which the run stops. */
export const REFUSAL_LIMIT = 5;

const REFUSALS: ReadonlySet<ErrorCode> = new Set(["RECIPIENT_REJECTED", "RELAY_REJECTED", "MESSAGE_REJECTED"]);

export type RefusalGuard = {
  /** Counts one send: `undefined` when it went out, else the failure's code and message. */
  record(failure?: { code: ErrorCode; message: string }): void;
  /** Why sending must stop, once `limit` refusals came in a row; undefined until then. Stays set. */
  stopReason(): string | undefined;
};

/**
 * A guard for one run (or one batch). Any 5xx counts, hard bounces included, so a
 * relay that answers "5.1.1 user unknown" to everyone also stops the run; other
 * failures (4xx, connection lost) neither count nor break the streak, a send does.
 */
export function createRefusalGuard(options: { limit?: number } = {}): RefusalGuard {
  const limit = options.limit ?? REFUSAL_LIMIT;
  let streak = 0;
  let bounced = 0;
  let reason: string | undefined;
  return {
    record(failure) {
      if (reason) return;
      if (!failure) {
        streak = 0;
        bounced = 0;
        return;
      }
      if (!REFUSALS.has(failure.code)) return;
      streak++;
      if (failure.code === "RECIPIENT_REJECTED") bounced++;
      if (streak < limit) return;
      const suppressed = bounced > 0 ? `; ${bounced} of them answered as unknown users and were suppressed: check them, \`paperboy subscribers add <email> --unsuppress\` lifts one` : "; nobody was suppressed";
      reason = `the SMTP relay refused ${streak} recipients in a row (last: ${failure.code}: ${failure.message.slice(0, 300)})${suppressed}`;
    },
    stopReason: () => reason,
  };
}
