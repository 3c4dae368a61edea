// Loads a window's candidate papers from the database — papers, corpus
// statistics, term associations, embeddings — for matching/candidates.ts.
import type { Db } from "../db/client.ts";
import { dayStart, toDay } from "../days.ts";
import type { DigestWindow } from "../digest-key.ts";
import { embedTopics, loadDense } from "./dense-vectors.ts";
import type { Embedder } from "../matching/embedder.ts";
import { createCandidates, matchTopics, type Candidates } from "../matching/candidates.ts";
import { documentTerms } from "../matching/corpus.ts";
import { startIndex } from "../matching/paper-index.ts";
import { isStopWord } from "../matching/tokens.ts";
import { countNewPapers, loadCorpusStats, loadDocumentFrequencies } from "./corpus-stats.ts";
import { newestPaperId, thumbnailSize, WITH_THUMBNAIL } from "./store.ts";
import { associationKeys, loadAssociations } from "./term-associations.ts";
import { compileTopic, topicKey, type TopicSpec } from "../matching/topics.ts";

/**
 * Papers featured on the window's days, indexed, with every given topic matched
 * once; `newestPaperId` is the newest paper in the database as they were loaded.
 * Read-only, except that with an `embedder` papers still without a vector are
 * embedded, and term associations never worked out are stored (see prepareTopics).
 */
export async function loadCandidates(db: Db, window: DigestWindow, topics: TopicSpec[], embedder?: Embedder): Promise<Candidates> {
  await countNewPapers(db);
  // Read before the papers, so that a paper ingested meanwhile is newer than newestPaperId.
  const newest = await newestPaperId(db);
  const found = await db.paper.findMany({
    where: { featuredOn: { gte: dayStart(window.since), lte: dayStart(window.until) } },
    select: {
      id: true,
      arxivId: true,
      title: true,
      abstract: true,
      authors: true,
      categories: true,
      aiKeywords: true,
      aiSummary: true,
      upvotes: true,
      comments: true,
      githubUrl: true,
      githubStars: true,
      projectUrl: true,
      source: true,
      featuredOn: true,
      ...WITH_THUMBNAIL,
    },
  });
  const rows = found.map(({ featuredOn, thumbnail, ...row }) => ({ ...row, featuredOn: toDay(featuredOn), thumbnail: thumbnailSize(thumbnail) }));
  const seedIds = topics.filter((topic) => topic.kind === "like").map((topic) => topic.query);
  // Indexed first, so that the rarity of exactly the words the index has is loaded;
  // a few hundred papers at a time, so that a web process answers other requests meanwhile.
  const builder = startIndex({ papers: 0, df: new Map() });
  for (let i = 0; i < rows.length; i++) {
    builder.add(rows[i]!);
    if (i % INDEX_SLICE === INDEX_SLICE - 1) await new Promise((resolve) => setImmediate(resolve));
  }
  const index = builder.finish();
  index.stats = await loadCorpusStats(
    db,
    [...index.postings.terms.keys()].filter((term) => !isStopWord(term)),
  );
  const dense = embedder
    ? await loadDense(
        db,
        embedder,
        rows.map((row) => row.id),
        seedIds,
      )
    : undefined;
  const candidates = createCandidates(window, rows, index, newest, dense);
  await prepareTopics(db, candidates, topics);
  await embedTopics(candidates, topics);
  matchTopics(candidates, topics);
  return candidates;
}

/** Papers indexed between two turns of the event loop (~40 ms of work at ~0.4 ms a paper). */
const INDEX_SLICE = 100;

/** A loaded candidate set is used for 5 minutes at most (papers may also be re-scored: upvotes move). */
const CANDIDATES_TTL_MS = 5 * 60 * 1000;
/** Distinct topics matched into one cached set before it is loaded afresh (live previews match every prefix a reader types). */
const MAX_TOPICS_MATCHED = 5_000;
/** Windows held at once: a large set takes a few hundred MB (readers in far-apart zones have two or three next-digest windows). */
const MAX_WINDOWS = 3;

/** Candidate sets by window, shared by the batches a worker processes and the previews a web process shows. */
export type CandidateCache = Map<string, { loading: Promise<Candidates>; loadedAt: number }>;

/**
 * The window's candidates from `cache`, loaded once and shared; loaded afresh when
 * papers were ingested since (one indexed query tells), after CANDIDATES_TTL_MS, or
 * once MAX_TOPICS_MATCHED topics were matched into it. Requests that arrive while
 * it loads wait for the same load. Match a caller's own topics with
 * prepareTopics and matchTopics (pickPapers matches them too).
 */
export async function cachedCandidates(db: Db, cache: CandidateCache, window: DigestWindow, now: Date, embedder?: Embedder): Promise<Candidates> {
  const key = `${window.since}|${window.until}`;
  const entry = cache.get(key);
  if (entry) {
    const candidates = await entry.loading.catch(() => undefined);
    const fresh =
      candidates !== undefined && now.getTime() - entry.loadedAt <= CANDIDATES_TTL_MS && candidates.compiled.size <= MAX_TOPICS_MATCHED && (await newestPaperId(db)) <= candidates.newestPaperId;
    if (fresh) return candidates;
    // Another caller may have started a new load meanwhile: share it.
    const current = cache.get(key);
    if (current && current !== entry) return current.loading;
  }
  const loading = loadCandidates(db, window, [], embedder);
  cache.delete(key);
  cache.set(key, { loading, loadedAt: now.getTime() });
  while (cache.size > MAX_WINDOWS) cache.delete(cache.keys().next().value!);
  loading.catch(() => {
    if (cache.get(key)?.loading === loading) cache.delete(key);
  });
  return loading;
}

/**
 * Loads what matching `topics` needs beyond the window's papers: the papers of
 * `like:` topics, the corpus statistics of words the window does not have (so a
 * topic scores the same in every candidate set), and the words associated with
 * each wording in the whole corpus. Call before picking for topics the
 * candidates were not loaded with; each thing is loaded once. Associations never
 * worked out are stored, unless `storeAssociations` is false (a preview of what a
 * reader is typing: every prefix would be stored).
 */
export async function prepareTopics(db: Db, candidates: Candidates, topics: TopicSpec[], options: { storeAssociations?: boolean } = {}): Promise<void> {
  const seedIds = [...new Set(topics.filter((topic) => topic.kind === "like" && !candidates.seeds.has(topic.query)).map((topic) => topic.query))];
  const seeds =
    seedIds.length === 0 ? [] : await db.paper.findMany({ where: { arxivId: { in: seedIds } }, select: { id: true, arxivId: true, title: true, abstract: true, authors: true, aiKeywords: true } });
  for (const seed of seeds) candidates.seeds.set(seed.arxivId, seed);
  const known = candidates.index.stats.df;
  const missing = new Set<string>();
  for (const seed of seeds) for (const term of documentTerms(seed)) if (!known.has(term)) missing.add(term);
  for (const topic of topics) {
    if (candidates.compiled.has(topicKey(topic))) continue;
    for (const query of compileTopic(topic).queries) for (const word of query.words) if (!known.has(word.term)) missing.add(word.term);
  }
  if (missing.size > 0) {
    // Added in place: a term's frequency, once known, does not change within a candidate set.
    const loaded = await loadDocumentFrequencies(db, missing);
    for (const term of missing) known.set(term, loaded.get(term) ?? 0); // 0: looked up, in no paper (counts as rare)
  }
  const keys = topics
    .filter((topic) => !candidates.compiled.has(topicKey(topic)))
    .flatMap(associationKeys)
    .filter((key) => !candidates.associations.has(key));
  for (const [key, terms] of await loadAssociations(db, keys, { store: options.storeAssociations, papers: candidates.index.stats.papers })) candidates.associations.set(key, terms);
}
