// A synthetic but realistic population for the benchmark: papers derived from the
// real sample, topics drawn Zipf-like from real AI keywords, varied time zones
// and caps. Written with set-based SQL, so 100 000 subscribers take seconds.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Db } from "../../src/db/client.ts";
import { parseDailyPapers } from "../../src/sources/hf-daily-papers.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { associationKeys, loadAssociations } from "../../src/sources/term-associations.ts";
import type { TopicSpec } from "../../src/matching/topics.ts";
import type { PaperInput } from "../../src/sources/source.ts";

const SAMPLE = [
  ...["12", "13", "14"].map((day) => `../../data/sample/hf-daily-2026-05-${day}.json`),
  ...["2024-10-25", "2025-10-15", "2026-08-11"].map((day) => `../fixtures/hf-daily/hf-daily-${day}.json`),
].map((file) => fileURLToPath(new URL(file, import.meta.url)));
export const BENCH_DAY = "2026-05-14";
/** Noon UTC on BENCH_DAY: every subscriber (send hour 0) is due, in every zone the population uses. */
export const BENCH_NOW = new Date(`${BENCH_DAY}T12:00:00Z`);
export const BENCH_MAIL = { secret: "bench-secret".padEnd(40, "b"), publicUrl: "https://paperboy.example", from: "paperboy <digest@paperboy.example>", listName: "paperboy" };
const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Kolkata", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland", "America/Sao_Paulo"];

/** The 208 real papers of the recorded HF Daily Papers days. */
function realPapers(): PaperInput[] {
  const papers = SAMPLE.flatMap((file) => parseDailyPapers(JSON.parse(readFileSync(file, "utf8"))).papers);
  return [...new Map(papers.map((paper) => [paper.arxivId, paper])).values()];
}

/**
 * The k-th of the n·(n−1) ordered pairs of different real papers, each pair once:
 * the first runs through every paper, the second steps one further each round.
 */
function pairOf(real: PaperInput[], k: number): [PaperInput, PaperInput] {
  const n = real.length;
  if (k >= n * (n - 1)) throw new Error(`the bench population has ${n * (n - 1)} distinct recombined papers, not ${k + 1}`);
  const first = k % n;
  return [real[first]!, real[(first + 1 + Math.floor(k / n)) % n]!];
}

/** History papers take pairs from 0, the day's from here: no paper of the day repeats one of the history. */
const TODAY_PAIRS = 30_000;

/**
 * `count` papers featured on BENCH_DAY: the real ones, then new papers recombined
 * from two real ones (first half of one's title, abstract and keywords with the
 * second half of the other's), each pair once, so that the vocabulary stays real
 * and no two papers are the same.
 */
export async function seedPapers(db: Db, count: number): Promise<void> {
  await ingestBatch(db, { source: "file", papers: dayPapers(count), rejected: [] });
}

/** The papers seedPapers ingests. */
export function dayPapers(count: number): PaperInput[] {
  const real = realPapers();
  return Array.from({ length: count }, (_, i): PaperInput => {
    if (i < real.length) return { ...real[i]!, featuredOn: BENCH_DAY };
    return { ...recombine(...pairOf(real, TODAY_PAIRS + i)), arxivId: `2605.${String(90000 + i).padStart(5, "0")}`, featuredOn: BENCH_DAY };
  });
}

/**
 * `count` papers featured on the HISTORY_DAYS before BENCH_DAY, recombined from
 * other pairs of real papers: the history an instance has ingested, from which
 * ranked retrieval takes rarity and term associations. Ingested a day at a time, as the scheduler does.
 */
export async function seedHistory(db: Db, count: number): Promise<void> {
  const real = realPapers();
  if (count > TODAY_PAIRS) throw new Error(`at most ${TODAY_PAIRS} history papers`);
  const papers = Array.from(
    { length: count },
    (_, i): PaperInput => ({
      ...recombine(...pairOf(real, i)),
      arxivId: `2604.${String(10000 + i).padStart(5, "0")}`,
      featuredOn: new Date(Date.parse(`${BENCH_DAY}T00:00:00Z`) - (1 + (i % HISTORY_DAYS)) * 86_400_000).toISOString().slice(0, 10),
    }),
  );
  for (let day = 0; day < HISTORY_DAYS; day++) await ingestBatch(db, { source: "file", papers: papers.filter((_, i) => i % HISTORY_DAYS === day), rejected: [] });
}

const HISTORY_DAYS = 60;

/** Works out the term associations of every subscribed topic not worked out yet; returns how many wordings the topics have. */
export async function warmAssociations(db: Db): Promise<number> {
  const topics = await db.topic.findMany({ select: { kind: true, query: true } });
  const keys = new Set(topics.flatMap((topic) => associationKeys({ kind: topic.kind as TopicSpec["kind"], query: topic.query })));
  await loadAssociations(db, keys);
  return keys.size;
}

/** The first half of one's title, abstract and keywords with the second half of the other's. */
function recombine(a: PaperInput, b: PaperInput): PaperInput {
  const half = <T>(items: T[], second: boolean) => (second ? items.slice(Math.floor(items.length / 2)) : items.slice(0, Math.floor(items.length / 2)));
  const words = (text: string) => text.split(/\s+/);
  const sentences = (text: string) => text.match(/[^.!?]+[.!?]+\s*/g) ?? [text];
  return {
    ...a,
    title: [...half(words(a.title), false), ...half(words(b.title), true)].join(" "),
    abstract: [...half(sentences(a.abstract), false), ...half(sentences(b.abstract), true)].join(""),
    aiSummary: b.aiSummary,
    aiKeywords: [...half(a.aiKeywords ?? [], false), ...half(b.aiKeywords ?? [], true)],
    upvotes: b.upvotes,
    comments: a.comments,
  };
}

/** A few hundred real topic strings: the sample's AI keywords, most frequent first. */
export function realTopics(limit = 300): string[] {
  const counts = new Map<string, number>();
  for (const paper of realPapers()) {
    for (const keyword of paper.aiKeywords ?? []) {
      const topic = keyword
        .toLowerCase()
        .replace(/["()|]/g, "")
        .trim();
      if (topic.length > 2 && topic.length < 60) counts.set(topic, (counts.get(topic) ?? 0) + 1);
    }
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([topic]) => topic);
}

/** Most topics a bench subscriber follows. */
const TOPICS_MAX = 16;

/**
 * `count` active subscribers (due now: send hour 0), 1–16 topics each drawn Zipf-like
 * (rank r with weight 1/r) from `realTopics`, a tenth without topics.
 */
export async function seedSubscribers(db: Db, count: number): Promise<void> {
  const topics = realTopics();
  await db.$executeRawUnsafe(
    `INSERT INTO "Topic" (kind, query) SELECT 'keyword', unnest($1::text[]) ON CONFLICT DO NOTHING`,
    topics.map((topic) => topic.replace(/\s+/g, " ")),
  );
  const topicIds = (await db.topic.findMany({ select: { id: true, query: true } })).sort((a, b) => topics.indexOf(a.query) - topics.indexOf(b.query)).map((row) => row.id);
  const zones = ZONES.map((zone) => `'${zone}'`).join(",");
  await db.$executeRawUnsafe(
    `INSERT INTO "Subscriber" (email, status, timezone, "sendHour", "maxPapers", "createdAt", "consentSource")
     SELECT 'reader' || g || '@bench.example', 'active', (ARRAY[${zones}])[1 + (g % ${ZONES.length})], 0, 5 + (g % 6), now(), 'bench'
     FROM generate_series(1, $1::int) AS g`,
    count,
  );
  // Zipf: a topic of rank r is drawn with probability ∝ 1/r.
  const harmonic = topicIds.reduce((sum, _, r) => sum + 1 / (r + 1), 0);
  const cumulative: number[] = [];
  topicIds.reduce((sum, _, r) => (cumulative.push(sum + 1 / (r + 1) / harmonic), sum + 1 / (r + 1) / harmonic), 0);
  let seed = 42;
  const random = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  // One number per draw (drawing inside findIndex took a new one per rank: 18 of 300 topics were ever used).
  const draw = () => {
    const r = random();
    const rank = cumulative.findIndex((edge) => edge >= r);
    return topicIds[rank < 0 ? topicIds.length - 1 : rank]!;
  };
  const ids = (await db.$queryRawUnsafe<Array<{ id: number }>>(`SELECT id FROM "Subscriber" WHERE email LIKE '%@bench.example' ORDER BY id`)).map((row) => row.id);
  const subscriberIds: number[] = [];
  const linkTopics: number[] = [];
  for (const id of ids) {
    if (id % 10 === 0) continue; // no topics: the trending list
    // 1 to 16 topics, most readers few: 1 + ⌊16·u²⌋ (mean ≈ 6).
    const chosen = new Set(Array.from({ length: Math.min(TOPICS_MAX, 1 + Math.floor(TOPICS_MAX * random() ** 2)) }, draw));
    for (const topicId of chosen) subscriberIds.push(id), linkTopics.push(topicId);
  }
  for (let i = 0; i < subscriberIds.length; i += 50_000) {
    await db.$executeRawUnsafe(
      `INSERT INTO "SubscriberTopic" ("subscriberId", "topicId") SELECT * FROM unnest($1::int[], $2::int[]) ON CONFLICT DO NOTHING`,
      subscriberIds.slice(i, i + 50_000),
      linkTopics.slice(i, i + 50_000),
    );
  }
}

/** What the population is made of: topics followed at all, distinct topic sets, topics per subscriber, and papers with the same title. */
export async function describePopulation(db: Db): Promise<{ topicsUsed: number; topicSets: number; meanTopics: number; maxTopics: number; duplicateTitles: number }> {
  const [row] = await db.$queryRawUnsafe<Array<{ used: number; sets: number; mean: number; max: number; duplicates: number }>>(
    `WITH sets AS (SELECT "subscriberId", array_agg("topicId" ORDER BY "topicId") AS topics, count(*) AS n FROM "SubscriberTopic" GROUP BY "subscriberId")
     SELECT (SELECT count(DISTINCT "topicId") FROM "SubscriberTopic")::int AS used,
            (SELECT count(DISTINCT topics) FROM sets)::int AS sets,
            (SELECT coalesce(avg(n), 0) FROM sets)::float AS mean,
            (SELECT coalesce(max(n), 0) FROM sets)::int AS max,
            (SELECT count(*) - count(DISTINCT title) FROM "Paper")::int AS duplicates`,
  );
  return { topicsUsed: row!.used, topicSets: row!.sets, meanTopics: Math.round(row!.mean * 10) / 10, maxTopics: row!.max, duplicateTitles: row!.duplicates };
}
