// The send loop: a page's letters go out with a bounded number of sends in
// flight, behind a circuit breaker and a guard against a relay that refuses
// every recipient; a letter not tried because of either is deferred.
import type { Log } from "../log.ts";
import { maskAddresses } from "../log.ts";
import type { CircuitBreaker } from "./circuit-breaker.ts";
import type { SentPick } from "./ledger.ts";
import type { OutgoingMessage } from "./mailer.ts";
import type { RefusalGuard } from "./refusal-guard.ts";
import { sendDigest, type SendDeps } from "./send-digest.ts";

export type LoopDeps = SendDeps & {
  log: Log;
  breaker?: CircuitBreaker;
  refusals?: RefusalGuard;
};

/** One subscriber's digest, its message built only when it is really sent. */
export type Letter = { subscriberId: number; email: string; digestKey: string; runId?: number; picks: SentPick[]; message: () => OutgoingMessage };

/** deferred: not attempted because the circuit breaker was open or the relay refused everyone. */
export type LetterOutcome = { status: "sent" | "failed" | "skipped" | "deferred"; reason?: string; messageId?: string; possibleDuplicate?: boolean };

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

/** Sends one letter under the ledger (see sendDigest), unless the breaker or the refusal guard holds it back, and tells both how it went. Never throws for a send failure. */
export async function deliverLetter(deps: LoopDeps, letter: Letter): Promise<LetterOutcome> {
  if (deps.breaker && !deps.breaker.allow()) return { status: "deferred", reason: "sending paused: most recent attempts failed" };
  if (deps.refusals?.stopReason()) return { status: "deferred", reason: "sending stopped: the relay refused every recent recipient" };
  const delivered = await sendDigest(deps, { subscriberId: letter.subscriberId, digestKey: letter.digestKey, runId: letter.runId, message: letter.message(), picks: letter.picks });
  if (delivered.status === "sent" || delivered.status === "failed") {
    deps.breaker?.record(delivered.status === "sent");
    deps.refusals?.record(delivered.status === "failed" ? delivered.error : undefined, { subscriberId: letter.subscriberId, email: letter.email });
  }
  switch (delivered.status) {
    case "sent":
      return { status: "sent", messageId: delivered.messageId, possibleDuplicate: delivered.possibleDuplicate };
    case "failed": {
      deps.log.warn(`Sending to subscriber ${letter.subscriberId} (${maskAddresses(letter.email)}) failed: ${maskAddresses(delivered.error.message)}`);
      const retry = delivered.retryAt ? `; retry after ${delivered.retryAt.toISOString()}` : "; not retried";
      return { status: "failed", reason: `${delivered.error.code}: ${delivered.error.message}${retry}`, possibleDuplicate: delivered.possibleDuplicate };
    }
    case "skipped":
      return { status: "skipped", reason: delivered.reason };
    default:
      return { status: "skipped", reason: "another run is sending or has sent this digest" };
  }
}
