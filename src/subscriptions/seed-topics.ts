// Seeds a subscriber's interests from a file of papers: each paper becomes a
// `like:<arXiv id>` topic, matched by the paper's own text (matching/match.ts).
import type { Db } from "../db/client.ts";
import { toDay } from "../days.ts";
import { describeError, isAppError } from "../errors.ts";
import type { TopicSpec } from "../matching/topics.ts";
import type { ArxivLookup } from "../sources/arxiv.ts";
import { ingestBatch } from "../sources/ingest.ts";
import { parseSeedFile, type SeedFile } from "./seed-file.ts";
import { findSubscriber, MAX_TOPICS, replaceTopics, type SubscriberWithTopics } from "./store.ts";

/** Paper topics one subscriber may have: each is a whole paper's words, so a few say a lot. */
export const MAX_PAPER_TOPICS = 20;

export type SeedDeps = {
  db: Db;
  /** Fetches papers by id from arXiv; unset when no arXiv source is configured. */
  lookupArxiv?: ArxivLookup;
};

export type SeedResult = {
  format: SeedFile["format"];
  /** Papers added as topics, in file order. */
  added: Array<{ arxivId: string; title: string }>;
  /** Papers of the file the subscriber already had as topics. */
  alreadyFollowed: Array<{ arxivId: string; title: string }>;
  /** Entries that could not be used, with why. */
  unresolved: Array<{ entry: string; reason: string }>;
  /** Papers fetched from arXiv for this (stored, so matching knows their text). */
  fetched: number;
  subscriber: SubscriberWithTopics;
};

/**
 * Reads the file (parseSeedFile's errors), makes sure each paper is stored —
 * fetching the unknown ones from arXiv when `lookupArxiv` is given — and adds
 * them as `like:` topics beside the subscriber's other topics, up to
 * MAX_PAPER_TOPICS. Safe to run twice: papers already followed are not added again.
 */
export async function seedTopics(deps: SeedDeps, subscriber: SubscriberWithTopics, text: string): Promise<SeedResult> {
  const file = await parseSeedFile(text);
  const unresolved = [...file.unresolved];
  const { known, fetched } = await resolvePapers(deps, file.ids, unresolved);

  const followed = new Set(subscriber.topics.filter((topic) => topic.kind === "like").map((topic) => topic.query));
  const alreadyFollowed = file.ids.filter((id) => followed.has(id) && known.has(id));
  const room = Math.max(0, Math.min(MAX_PAPER_TOPICS - followed.size, MAX_TOPICS - subscriber.topics.length));
  const fresh = file.ids.filter((id) => known.has(id) && !followed.has(id));
  const added = fresh.slice(0, room);
  for (const id of fresh.slice(room)) {
    unresolved.push({ entry: `${known.get(id)} (${id})`, reason: `not added: at most ${MAX_PAPER_TOPICS} papers as topics and ${MAX_TOPICS} topics in all per subscriber` });
  }

  if (added.length > 0) {
    const topics: TopicSpec[] = [...subscriber.topics, ...added.map((id) => ({ kind: "like" as const, query: id }))];
    await deps.db.$transaction((tx) => replaceTopics(tx, subscriber.id, topics));
  }
  const describe = (id: string) => ({ arxivId: id, title: known.get(id) ?? id });
  return {
    format: file.format,
    added: added.map(describe),
    alreadyFollowed: alreadyFollowed.map(describe),
    unresolved,
    fetched,
    subscriber: (await findSubscriber(deps.db, { id: subscriber.id })) ?? subscriber,
  };
}

/**
 * Titles of the papers among `ids` that are stored (typed `like:` topics too), after fetching the missing
 * ones from arXiv (one id_list request per 100). Fetched papers are stored as
 * listed on their arXiv publication day, not today: an old paper someone cites
 * must not turn up as new in today's digests. Ids that stay unknown go to `unresolved`.
 */
export async function resolvePapers(deps: SeedDeps, ids: string[], unresolved: SeedResult["unresolved"]): Promise<{ known: Map<string, string>; fetched: number }> {
  const titles = async () => new Map((await deps.db.paper.findMany({ where: { arxivId: { in: ids } }, select: { arxivId: true, title: true } })).map((paper) => [paper.arxivId, paper.title]));
  let known = await titles();
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length === 0) return { known, fetched: 0 };
  if (!deps.lookupArxiv) {
    for (const id of missing) unresolved.push({ entry: id, reason: "not ingested yet and no arXiv source is configured to fetch it" });
    return { known, fetched: 0 };
  }
  // arXiv being down or answering nonsense leaves these papers unresolved; the rest of the file still counts.
  // The listing day passed here is a placeholder: each paper gets its publication day below.
  const batch = await deps.lookupArxiv(missing, "1970-01-01", { missing: "arXiv has no paper with this id" }).catch((error: unknown) => {
    if (!isAppError(error, "SOURCE_UNAVAILABLE") && !isAppError(error, "SOURCE_MALFORMED")) throw error;
    for (const id of missing) unresolved.push({ entry: id, reason: `could not be fetched from arXiv: ${describeError(error)}` });
    return undefined;
  });
  if (!batch) return { known, fetched: 0 };
  const papers = batch.papers.filter((paper) => paper.publishedAt).map((paper) => ({ ...paper, featuredOn: toDay(paper.publishedAt!) }));
  const fetched = papers.length === 0 ? 0 : (await ingestBatch(deps.db, { ...batch, papers })).created;
  known = await titles();
  const reasons = new Map(batch.rejected.map((record) => [record.id, record.reason]));
  for (const id of missing) if (!known.has(id)) unresolved.push({ entry: id, reason: reasons.get(id) ?? "arXiv returned it without a publication date" });
  return { known, fetched };
}

/** The outcome in a few lines of plain text (the CLI's report). */
export function formatSeedResult(result: SeedResult): string {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const lines = [`${result.subscriber.email}: added ${plural(result.added.length, "paper", "papers")} as topics${result.fetched > 0 ? ` (${result.fetched} fetched from arXiv)` : ""}`];
  for (const paper of result.added) lines.push(`  + like:${paper.arxivId}  ${paper.title}`);
  if (result.alreadyFollowed.length > 0) lines.push(`Already followed: ${result.alreadyFollowed.map((paper) => paper.arxivId).join(", ")}`);
  if (result.unresolved.length > 0) lines.push(`${plural(result.unresolved.length, "entry", "entries")} could not be used:`);
  for (const entry of result.unresolved) lines.push(`  - ${entry.entry}: ${entry.reason}`);
  return lines.join("\n");
}
