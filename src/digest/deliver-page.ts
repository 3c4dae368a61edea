// Delivers one page (or batch) of due subscribers: pick, render, send under the
// ledger, with a bounded number of sends in flight and a circuit breaker.
import type { Db } from "../db/client.ts";
import type { CircuitBreaker } from "../delivery/circuit-breaker.ts";
import { createRefusalGuard, type RefusalGuard } from "../delivery/refusal-guard.ts";
import { previousDigestDays, recordSkipped, releaseQueued, sentPaperIds } from "../delivery/ledger.ts";
import { deliverLetter, inLanes, type Letter } from "../delivery/send-page.ts";
import type { Profile } from "../matching/profile.ts";
import { loadProfiles } from "../subscriptions/feedback.ts";
import type { SubscriberWithTopics } from "../subscriptions/subscriptions.ts";
import { suppressAddress, suppressedAmong, undoStreakBounces } from "../subscriptions/suppress.ts";
import { describePicks, explainEmpty, pickPapers, type Candidates, type PickReport } from "../matching/candidates.ts";
import { prepareTopics } from "../sources/candidates.ts";
import { embedTopics } from "../sources/dense-vectors.ts";
import { composeDigest } from "./compose-digest.ts";
import { digestWindow } from "../digest-key.ts";
import type { RunDeps } from "./run-deps.ts";

export type SubscriberOutcome = {
  subscriberId: number;
  email: string;
  /** deferred: not attempted because the circuit breaker was open or the relay refused everyone; planned: dry run. */
  status: "sent" | "skipped" | "failed" | "planned" | "deferred";
  picks: PickReport[];
  /** Why nothing was sent, or what failed. */
  reason?: string;
  messageId?: string;
  possibleDuplicate?: boolean;
};

export type PageJob = { candidates: Candidates; digestKey: string; runId?: number; dryRun?: boolean };

export type DeliveryOptions = {
  /** Sends in flight at once (default 1). */
  concurrency?: number;
  breaker?: CircuitBreaker;
  /** Shared by a run's pages; each page gets its own when absent. */
  refusals?: RefusalGuard;
};

/**
 * Delivers to every subscriber of the page; suppressed addresses are left out
 * (returned in `suppressed`). Send failures are recorded per subscriber and never
 * thrown; database errors are. When the relay refuses recipient after recipient,
 * the rest of the page is deferred (never claimed) and `relayRefused` says why.
 */
export async function deliverPage(
  options: RunDeps & DeliveryOptions,
  page: SubscriberWithTopics[],
  job: PageJob,
): Promise<{ outcomes: SubscriberOutcome[]; suppressed: number; relayRefused?: string }> {
  const deps = { ...options, refusals: options.refusals ?? createRefusalGuard() };
  const stoppedBefore = deps.refusals.stopReason();
  const { suppressed, sent, profiles, previous } = await loadPageState(deps.db, page, job.candidates, job.digestKey);
  // Picking is synchronous: what the page's topics need is loaded, and they are embedded, first (once per candidate set).
  await prepareTopics(
    deps.db,
    job.candidates,
    page.flatMap((subscriber) => subscriber.topics),
  );
  await embedTopics(
    job.candidates,
    page.flatMap((subscriber) => subscriber.topics),
  );
  const queue = page.filter((subscriber) => !suppressed.has(subscriber.id));
  if (!job.dryRun) await releaseQueued(deps.db, { digestKey: job.digestKey, ids: [...suppressed] }, deps.now(), "the address is suppressed");
  const outcomes = await inLanes(queue.length, deps.concurrency ?? 1, (index) => {
    const subscriber = queue[index]!;
    const window = digestWindow({ cadence: subscriber.cadence, day: job.candidates.date, overlapDays: deps.lookbackDays, previousDay: previous.get(subscriber.id) });
    return deliverOne(deps, subscriber, job, { sentPaperIds: sent.get(subscriber.id) ?? new Set(), profile: profiles.get(subscriber.id), since: window.since });
  });
  // Deferred (the relay is failing): hand them back to the planner, so the next tick queues them again.
  const deferred = outcomes.filter((outcome) => outcome.status === "deferred").map((outcome) => outcome.subscriberId);
  if (!job.dryRun) await releaseQueued(deps.db, { digestKey: job.digestKey, ids: deferred }, deps.now());
  const relayRefused = deps.refusals.stopReason();
  if (relayRefused && !stoppedBefore) {
    if (!job.dryRun) await undoStreakBounces(deps.db, deps.refusals.streakBounces(), job.digestKey, deps.now());
    deps.log.error(`Sending stopped: ${relayRefused}. The rest is planned again on the next run.`);
  }
  return { outcomes, suppressed: suppressed.size, relayRefused };
}

/** What picking knows of one subscriber: papers already sent, feedback, and where their window starts. */
type PickState = { sentPaperIds: ReadonlySet<number>; profile: Profile | undefined; since: string };

async function deliverOne(deps: RunDeps & DeliveryOptions, subscriber: SubscriberWithTopics, job: PageJob, state: PickState): Promise<SubscriberOutcome> {
  const { candidates } = job;
  const picks = pickPapers(candidates, subscriber, state.sentPaperIds, state.profile, state.since);
  const outcome: SubscriberOutcome = { subscriberId: subscriber.id, email: subscriber.email, status: "planned", picks: describePicks(candidates, picks) };

  if (picks.length === 0) {
    outcome.status = "skipped";
    outcome.reason = explainEmpty(candidates, subscriber, state.since);
    // Provisional: papers ingested after these reopen the digest (see recordSkipped).
    if (!job.dryRun) await recordSkipped(deps.db, { subscriberId: subscriber.id, digestKey: job.digestKey, runId: job.runId }, outcome.reason, deps.now(), candidates.newestPaperId);
    return outcome;
  }
  if (job.dryRun) return outcome;
  const suppressBounced = (address: string, reason: string) => suppressAddress(deps.db, address, "bounced", reason);
  const letter: Letter = {
    subscriberId: subscriber.id,
    email: subscriber.email,
    digestKey: job.digestKey,
    runId: job.runId,
    picks,
    message: () => composeDigest(deps.templates, deps.mail, subscriber, { key: job.digestKey, date: candidates.date, picks, papers: candidates.papers }, deps.now()),
  };
  return { ...outcome, ...(await deliverLetter({ ...deps, suppressBounced }, letter)) };
}

/**
 * What picking needs besides the subscribers: suppressed addresses, papers already
 * sent, feedback profiles, and the local day of each one's previous digest
 * (other than `digestKey`) — four queries, in parallel.
 */
export async function loadPageState(db: Db, page: SubscriberWithTopics[], candidates: Candidates, digestKey: string) {
  const [suppressed, sent, profiles, previous] = await Promise.all([
    suppressedAmong(db, page),
    sentPaperIds(
      db,
      page.map((subscriber) => subscriber.id),
      [...candidates.papers.keys()],
    ),
    loadProfiles(
      db,
      page.map((subscriber) => subscriber.id),
    ),
    previousDigestDays(db, page, digestKey),
  ]);
  return { suppressed, sent, profiles, previous };
}
