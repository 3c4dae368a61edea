import { describe, expect, it } from "vitest";
import { matchTopic, type TopicHit } from "../../src/matching/match.ts";
import { indexPapers } from "../../src/matching/paper-index.ts";
import { COMMUNITY_WEIGHTS, findNearDuplicates, rankDigest, type RankablePaper } from "../../src/matching/rank.ts";
import { splitWords } from "../../src/matching/tokens.ts";
import { loadSeed, random } from "../helpers/seeded-random.ts";
import { compileTopic, parseTopic, type CompiledTopic } from "../../src/matching/topics.ts";

const rows = [
  { id: 1, arxivId: "2605.00001", title: "Agents everywhere", abstract: "agents", authors: [], aiKeywords: ["agents"], upvotes: 2, comments: 0 },
  { id: 2, arxivId: "2605.00002", title: "A note", abstract: "We mention agents once.", authors: [], aiKeywords: [], upvotes: 300, comments: 10 },
  { id: 3, arxivId: "2605.00003", title: "Agents for robots", abstract: "agents", authors: [], aiKeywords: [], upvotes: 40, comments: 1 },
  { id: 4, arxivId: "2605.00004", title: "Diffusion", abstract: "images", authors: [], aiKeywords: [], upvotes: 90, comments: 0 },
];
const papers = new Map<number, RankablePaper>(rows.map((row) => [row.id, row]));
const index = indexPapers(rows);
const topics = ["agents", "diffusion"].map((text) => compileTopic(parseTopic(text)));
const hitsByTopic = new Map<string, Map<number, TopicHit>>(topics.map((topic) => [topic.key, new Map(matchTopic(index, topic).map((hit) => [hit.paperId, hit]))]));
const rank = (options: { topics?: typeof topics; sent?: number[]; cap?: number; communityWeight?: number }) =>
  rankDigest({ papers, hitsByTopic, topics: options.topics ?? [], sentPaperIds: new Set(options.sent ?? []), cap: options.cap ?? 10, communityWeight: options.communityWeight });

describe("rankDigest", () => {
  it("gives a subscriber without topics the trending list, most upvoted first", () => {
    expect(rank({}).map((pick) => pick.paperId)).toEqual([2, 4, 3, 1]);
    expect(rank({})[0]?.reason).toBe("Trending: 300 upvotes, 10 comments");
  });

  it("keeps only papers matching the subscriber's topics, ordering papers about as relevant by upvotes", () => {
    const picks = rank({ topics: [topics[0]!] });
    expect(picks.map((pick) => pick.paperId)).toEqual([3, 1, 2]);
    expect(rank({ topics: [topics[0]!], communityWeight: 0 }).map((pick) => pick.paperId)).toEqual([1, 3, 2]);
    // Even for "trending" readers, a popular passing mention (paper 2, 300 upvotes) stays below the papers about the topic.
    expect(rank({ topics: [topics[0]!], communityWeight: COMMUNITY_WEIGHTS.trending }).map((pick) => pick.paperId)).toEqual([3, 1, 2]);
  });

  it("adds a little for a second topic only when that topic clears the cut on its own", () => {
    const [agents, diffusion] = topics as [CompiledTopic, CompiledTopic];
    const hit = (paperId: number, relevance: number): TopicHit => ({ paperId, relevance, fields: ["title"], evidence: { label: "x", words: ["x"], missing: [], together: true, related: [] } });
    const withSecond = (relevance: number) =>
      rankDigest({
        papers,
        hitsByTopic: new Map([
          [agents.key, new Map([[1, hit(1, 0.6)]])],
          [diffusion.key, new Map([[1, hit(1, relevance)]])],
        ]),
        topics,
        sentPaperIds: new Set(),
        cap: 10,
      })[0]!;
    expect(withSecond(0.1).relevance).toBeCloseTo(0.6);
    expect(withSecond(0.1).reason).not.toContain("more topics");
    expect(withSecond(0.4).relevance).toBeCloseTo(0.7);
  });

  it("merges several topics and says which one matched where", () => {
    const picks = rank({ topics });
    expect(picks.map((pick) => pick.paperId).sort()).toEqual([1, 2, 3, 4]);
    expect(picks.find((pick) => pick.paperId === 4)?.reason).toBe("Matched “diffusion” in the title");
    expect(picks.find((pick) => pick.paperId === 1)?.reason).toBe("Matched “agents” in the title, keywords and abstract");
  });

  it("never repeats a paper already sent and respects the cap", () => {
    expect(
      rank({ topics, sent: [3, 4] })
        .map((pick) => pick.paperId)
        .sort(),
    ).toEqual([1, 2]);
    expect(rank({ topics, cap: 2 })).toHaveLength(2);
    expect(rank({ sent: [1, 2, 3, 4] })).toEqual([]);
  });

  it("leaves out papers matching an exclusion, also from the trending list", () => {
    const robots = compileTopic(parseTopic("-robots"));
    hitsByTopic.set(robots.key, new Map(matchTopic(index, robots).map((hit) => [hit.paperId, hit])));
    expect(rank({ topics: [topics[0]!, robots] }).map((pick) => pick.paperId)).toEqual([1, 2]);
    expect(rank({ topics: [robots] }).map((pick) => pick.paperId)).toEqual([2, 4, 1]);
  });

  it("drops matches too weak to count (a topic counted less through feedback)", () => {
    const weak = rankDigest({ papers, hitsByTopic, topics: [topics[0]!], sentPaperIds: new Set(), cap: 10, profile: { votes: [], topicWeights: new Map([[topics[0]!.key, 0.1]]) } });
    expect(weak).toEqual([]);
  });

  it("collapses near-duplicate titles to the better-ranked paper", () => {
    const twins = new Map<number, RankablePaper>([
      [1, { id: 1, arxivId: "2605.00001", upvotes: 50, comments: 0, title: "Scaling Laws for Mixture of Experts Language Models" }],
      [2, { id: 2, arxivId: "2605.00002", upvotes: 5, comments: 0, title: "Scaling laws for mixture-of-experts language models" }],
      [3, { id: 3, arxivId: "2605.00003", upvotes: 1, comments: 0, title: "Scaling Laws for Dense Language Models" }],
    ]);
    const picks = rankDigest({ papers: twins, hitsByTopic: new Map(), topics: [], sentPaperIds: new Set(), cap: 5 });
    expect(picks.map((pick) => pick.paperId)).toEqual([1, 3]);
  });

  it("counts GitHub stars as community interest, a little", () => {
    const papers = new Map<number, RankablePaper>([
      [1, { id: 1, arxivId: "2605.00001", upvotes: 10, comments: 0, githubStars: 0 }],
      [2, { id: 2, arxivId: "2605.00002", upvotes: 10, comments: 0, githubStars: 2000 }],
      [3, { id: 3, arxivId: "2605.00003", upvotes: 40, comments: 0, githubStars: 0 }],
    ]);
    const picks = rankDigest({ papers, hitsByTopic: new Map(), topics: [], sentPaperIds: new Set(), cap: 5 });
    expect(picks.map((pick) => pick.paperId)).toEqual([3, 2, 1]);
  });

  it("names the words that matched when a synonym did", () => {
    const rows2 = [{ id: 1, arxivId: "2605.00010", title: "Scaling reinforcement learning", abstract: "x", authors: [], aiKeywords: [], upvotes: 1, comments: 0 }];
    const rl = compileTopic(parseTopic("RL"));
    const hits = new Map([[rl.key, new Map(matchTopic(indexPapers(rows2), rl).map((hit) => [hit.paperId, hit]))]]);
    const [pick] = rankDigest({ papers: new Map(rows2.map((row) => [row.id, row])), hitsByTopic: hits, topics: [rl], sentPaperIds: new Set(), cap: 1 });
    expect(pick?.reason).toBe("Matched “rl” as “reinforcement learning” in the title");
  });

  it("is deterministic for equal scores", () => {
    const twins = new Map<number, RankablePaper>([
      [1, { id: 1, arxivId: "2605.00009", upvotes: 5, comments: 0 }],
      [2, { id: 2, arxivId: "2605.00001", upvotes: 5, comments: 0 }],
    ]);
    const picks = rankDigest({ papers: twins, hitsByTopic: new Map(), topics: [], sentPaperIds: new Set(), cap: 5 });
    expect(picks.map((pick) => pick.paperId)).toEqual([2, 1]);
  });
});

describe("findNearDuplicates", () => {
  /** Every pair compared: what the fast search must find exactly. */
  function everyPair(titles: Array<{ id: number; title: string }>): Map<number, number[]> {
    const sets = titles.map(({ id, title }) => ({ id, words: new Set(splitWords(title)) })).filter((entry) => entry.words.size >= 4);
    const twins = new Map<number, number[]>();
    for (const a of sets) {
      for (const b of sets) {
        if (a.id === b.id) continue;
        const shared = [...a.words].filter((word) => b.words.has(word)).length;
        if (shared / (a.words.size + b.words.size - shared) >= 0.85) twins.set(a.id, [...(twins.get(a.id) ?? []), b.id]);
      }
    }
    return twins;
  }
  const sorted = (twins: Map<number, number[]>) => [...twins].map(([id, others]) => [id, [...others].sort((x, y) => x - y)] as const).sort((x, y) => x[0] - y[0]);

  it("finds exactly the pairs that comparing every pair finds", () => {
    const seed = loadSeed();
    console.log(`findNearDuplicates seed ${seed} (PAPERBOY_TEST_SEED=${seed} replays it)`);
    const next = random(seed);
    const vocabulary = Array.from({ length: 60 }, (_, i) => `word${i}`);
    const titles: Array<{ id: number; title: string }> = [];
    for (let id = 1; id <= 600; id++) {
      const base = titles.length > 0 && next() < 0.3 ? titles[Math.floor(next() * titles.length)]!.title.split(" ") : undefined;
      // A twin: an earlier title with a word changed, added or dropped; otherwise 3 to 14 random words.
      const words = base ? [...base] : Array.from({ length: 3 + Math.floor(next() * 12) }, () => vocabulary[Math.floor(next() * vocabulary.length)]!);
      if (base) {
        const change = Math.floor(next() * 3);
        if (change === 0) words[Math.floor(next() * words.length)] = vocabulary[Math.floor(next() * vocabulary.length)]!;
        else if (change === 1) words.push(vocabulary[Math.floor(next() * vocabulary.length)]!);
        else words.splice(Math.floor(next() * words.length), 1);
      }
      titles.push({ id, title: words.join(" ") });
    }
    const expected = everyPair(titles);
    expect(expected.size).toBeGreaterThan(50);
    expect(sorted(findNearDuplicates(titles.map((title) => ({ ...title, arxivId: String(title.id), upvotes: 0, comments: 0 }))))).toEqual(sorted(expected));
  });
});
