// `paperboy preview`: one subscriber's next digest, rendered but not sent or recorded.
import { AppError } from "../errors.ts";
import { findSubscriber, normaliseEmail } from "../subscriptions/subscriptions.ts";
import type { OutgoingMessage } from "../delivery/mailer.ts";
import { describePicks, loadCandidates, parseDay, pickPapers, type PickReport } from "./candidates.ts";
import { composeDigest } from "./compose-digest.ts";
import { dailyDigestKey, type RunDeps } from "./run-digest.ts";

export type Preview = { email: string; date: string; digestKey: string; picks: PickReport[]; message?: OutgoingMessage };

/** Read-only. Throws INVALID_EMAIL, INVALID_DATE, or NOT_FOUND for an unknown subscriber. */
export async function previewDigest(deps: RunDeps, options: { email: string; date: string }): Promise<Preview> {
  const email = normaliseEmail(options.email);
  const date = parseDay(options.date);
  const subscriber = await findSubscriber(deps.db, { email });
  if (!subscriber) throw new AppError("NOT_FOUND", `no subscriber with address ${email}`, { field: "email" });

  const candidates = await loadCandidates(deps.db, date, deps.lookbackDays, subscriber.topics);
  const sent = await deps.db.sentPaper.findMany({ where: { subscriberId: subscriber.id, paperId: { in: [...candidates.papers.keys()] } }, select: { paperId: true } });
  const picks = pickPapers(candidates, subscriber, new Set(sent.map((entry) => entry.paperId)));
  const digestKey = dailyDigestKey(date);
  const report = describePicks(candidates, picks);
  if (picks.length === 0) return { email, date, digestKey, picks: report };
  const message = composeDigest(deps.templates, deps.mail, subscriber, { key: digestKey, date, picks, papers: candidates.papers }, deps.now());
  return { email, date, digestKey, picks: report, message };
}
