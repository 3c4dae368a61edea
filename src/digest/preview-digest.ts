// `paperboy preview`: one subscriber's next digest, rendered but not sent or recorded.
import { AppError } from "../errors.ts";
import type { TopicSpec } from "../matching/topics.ts";
import { findSubscriber, normaliseEmail } from "../subscriptions/subscriptions.ts";
import type { OutgoingMessage } from "../delivery/mailer.ts";
import { loadProfiles } from "../subscriptions/feedback.ts";
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
  const profile = (await loadProfiles(deps.db, [subscriber.id])).get(subscriber.id);
  const picks = pickPapers(candidates, subscriber, new Set(sent.map((entry) => entry.paperId)), profile);
  const digestKey = dailyDigestKey(date);
  const report = describePicks(candidates, picks);
  if (picks.length === 0) return { email, date, digestKey, picks: report };
  const message = composeDigest(deps.templates, deps.mail, subscriber, { key: digestKey, date, picks, papers: candidates.papers }, deps.now());
  return { email, date, digestKey, picks: report, message };
}

export type TopicsPreview = { picks: Array<PickReport & { url: string }>; summary: string; since?: string; date?: string };

const PREVIEW_DAYS = 3;

/**
 * What a digest with these topics would contain, from the papers of the last
 * days in the database, leaving out papers already sent to `subscriberId`. Read-only.
 */
export async function previewTopics(
  deps: Pick<RunDeps, "db">,
  options: { subscriberId?: number; topics: TopicSpec[]; maxPapers: number; popularity?: string },
): Promise<TopicsPreview> {
  const newest = await deps.db.paper.aggregate({ _max: { featuredOn: true } });
  const date = newest._max.featuredOn?.toISOString().slice(0, 10);
  if (!date) return { picks: [], summary: "No papers have been ingested yet." };
  const candidates = await loadCandidates(deps.db, date, PREVIEW_DAYS, options.topics);
  const sent = options.subscriberId
    ? await deps.db.sentPaper.findMany({ where: { subscriberId: options.subscriberId, paperId: { in: [...candidates.papers.keys()] } }, select: { paperId: true } })
    : [];
  const profile = options.subscriberId ? (await loadProfiles(deps.db, [options.subscriberId])).get(options.subscriberId) : undefined;
  const picks = pickPapers(candidates, { topics: options.topics, maxPapers: options.maxPapers, popularity: options.popularity }, new Set(sent.map((entry) => entry.paperId)), profile);
  const included = options.topics.filter((topic) => topic.kind !== "exclude").length;
  const summary =
    picks.length === 0
      ? `None of the ${candidates.papers.size} papers from ${candidates.since} to ${date} match these topics.`
      : `${picks.length} of ${candidates.papers.size} papers from ${candidates.since} to ${date}${included === 0 ? " (the most upvoted, as you have no topics)" : ""}.`;
  return {
    picks: describePicks(candidates, picks).map((pick) => ({ ...pick, url: `https://huggingface.co/papers/${pick.arxivId}` })),
    summary,
    since: candidates.since,
    date,
  };
}
