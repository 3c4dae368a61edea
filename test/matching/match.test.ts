import { describe, expect, it } from "vitest";
import { associationKey } from "../../src/matching/associations.ts";
import { matchTopic } from "../../src/matching/match.ts";
import { indexPapers, type MatchablePaper } from "../../src/matching/paper-index.ts";
import { MIN_RELEVANCE } from "../../src/matching/rank.ts";
import { compileTopic, parseTopic } from "../../src/matching/topics.ts";
import { stem } from "../../src/matching/tokens.ts";

const papers: MatchablePaper[] = [
  {
    id: 1,
    arxivId: "2605.00001",
    title: "Learning Agentic Policy from Action Guidance",
    abstract: "We train an agent with reinforcement learning.",
    authors: ["Ada Lovelace"],
    aiKeywords: ["agentic reinforcement learning"],
  },
  { id: 2, arxivId: "2605.00002", title: "AnyFlow: Any-Step Video Diffusion Model", abstract: "Diffusion for videos.", authors: ["Grace Hopper"], aiKeywords: ["video generation", "flow maps"] },
  { id: 3, arxivId: "2605.00003", title: "Multi-Agent Systems", abstract: "Agents that talk. Learning is not reinforced here.", authors: ["José Núñez"], aiKeywords: [] },
  {
    id: 4,
    arxivId: "2605.00004",
    title: "Vision-Language Models at Scale",
    abstract: "A study of studies on retrieving images.",
    authors: ["Alan Turing"],
    aiKeywords: ["mixture of experts"],
    categories: ["cs.CV", "cs.CL"],
  },
  { id: 5, arxivId: "2605.00005", title: "Scaling MoE LLMs", abstract: "We train large language models with RL. 我们研究大语言模型的推理能力。", authors: ["李明"], aiKeywords: [] },
  {
    id: 6,
    arxivId: "2605.00006",
    title: "Speech recognition for noisy rooms",
    abstract: "Transcription of speech with a planner of audio segments.",
    authors: ["B. Author"],
    aiKeywords: ["speech recognition"],
  },
  { id: 7, arxivId: "2605.00007", title: "Graph sampling", abstract: "Learning is hard on a graph, and large graphs need sampling before any learning.", authors: ["C. Author"], aiKeywords: [] },
];
const index = indexPapers(papers);
const match = (topic: string) => matchTopic(index, compileTopic(parseTopic(topic)));
/** The papers a digest would take: those above the cut (exclusions: every match). */
const ids = (topic: string) =>
  match(topic)
    .filter((hit) => topic.startsWith("-") || hit.relevance >= MIN_RELEVANCE)
    .map((hit) => hit.paperId)
    .sort();
const ranked = (topic: string) =>
  match(topic)
    .sort((a, b) => b.relevance - a.relevance)
    .map((hit) => hit.paperId);

describe("matchTopic", () => {
  it.each([
    ["agents", [1, 3]],
    ["AGENT", [1, 3]],
    // Morphology: retrieval finds "retrieving".
    ["retrieval", [4]],
    ["speech and audio", [6]],
    ['"video diffusion"', [2]],
    ['"diffusion video"', []],
    ['"vision-language model"', [4]],
    ['"experts mixture"', []],
    ["quantum", []],
    // Authors only for author: topics, and strictly.
    ["hopper", []],
    ['author:"Grace Hopper"', [2]],
    ["author:turing", [4]],
    ['author:"Hopper Grace"', []],
    ["author:agent", []],
    ["author:李明", [5]],
    ["cat:cs.CL", [4]],
    ["cat:cs.LG", []],
    ["moe", [4, 5]],
    ['"mixture of experts"', [4, 5]],
    ['"reinforcement learning"', [1, 5]],
    ["rl", [1, 5]],
    ["llm", [5]],
    ["大语言模型", [5]],
    ["语言推理", []],
    ["a.*b [x] $^", []],
  ])("%s → papers %j", (topic, expected) => {
    expect(ids(topic)).toEqual(expected);
  });

  it("treats the words of a topic as soft: any of them finds a paper, all of them together rank first", () => {
    expect(ids("video robots")).toEqual([2]);
    expect(ranked("diffusion video")[0]).toBe(2);
    expect(ids("speech, multi-agent")).toEqual([3, 6]);
  });

  it("ranks the words adjacent (the phrase) above the same words apart, and says which it was", () => {
    const hits = match("graph learning");
    const apart = hits.find((hit) => hit.paperId === 7)!;
    expect(apart.evidence.together).toBe(false);
    expect(apart.evidence.words).toEqual(["graph", "learning"]);
    const together = matchTopic(
      indexPapers([...papers, { id: 8, title: "Graph learning at scale", abstract: "On graph learning.", authors: [], aiKeywords: [] }]),
      compileTopic(parseTopic("graph learning")),
    );
    const adjacent = together.find((hit) => hit.paperId === 8)!;
    expect(adjacent.evidence.together).toBe(true);
    expect(adjacent.relevance).toBeGreaterThan(together.find((hit) => hit.paperId === 7)!.relevance);
  });

  it("never lets a phrase span two keywords or two authors", () => {
    expect(ids('"generation flow"')).toEqual([]);
  });

  it("scores a title match above an abstract-only match and names the fields", () => {
    const two = [
      { id: 1, title: "Tools for everyone", abstract: "Agents that use tools.", authors: [], aiKeywords: [] },
      { id: 2, title: "Agents that talk", abstract: "Agents, talking.", authors: [], aiKeywords: [] },
    ];
    const hits = matchTopic(indexPapers(two), compileTopic(parseTopic("agents")));
    const title = hits.find((hit) => hit.paperId === 2);
    const abstractOnly = hits.find((hit) => hit.paperId === 1);
    expect(title?.fields).toEqual(["title", "abstract"]);
    expect(abstractOnly?.fields).toEqual(["abstract"]);
    expect(title!.relevance).toBeGreaterThan(abstractOnly!.relevance);
    for (const hit of hits) expect(hit.relevance).toBeGreaterThan(0), expect(hit.relevance).toBeLessThan(1);
  });

  it("takes rarity from the corpus statistics, not from the day's papers", () => {
    const day = [
      { id: 1, title: "Agents for transcription", abstract: "x", authors: [], aiKeywords: [] },
      { id: 2, title: "Agents that plan", abstract: "x", authors: [], aiKeywords: [] },
    ];
    // In these two papers "agents" is in both; over the corpus it is common and "transcription" rare.
    const corpus = {
      papers: 10_000,
      df: new Map([
        ["agent", 4_000],
        ["transcript", 20],
      ]),
    };
    const hits = matchTopic(indexPapers(day, corpus), compileTopic(parseTopic("agents transcription")));
    const [best, other] = hits.sort((a, b) => b.relevance - a.relevance);
    expect(best?.paperId).toBe(1);
    expect(other!.relevance).toBeLessThan(best!.relevance / 2);
  });

  it("counts a word that only shares the stem less than the word itself", () => {
    const both = [
      { id: 1, title: "A new optimizer for transformers", abstract: "x", authors: [], aiKeywords: [] },
      { id: 2, title: "Policy optimization for transformers", abstract: "x", authors: [], aiKeywords: [] },
    ];
    const hits = matchTopic(indexPapers(both), compileTopic(parseTopic("optimizer")));
    expect(hits.find((hit) => hit.paperId === 1)!.relevance).toBeGreaterThan(hits.find((hit) => hit.paperId === 2)!.relevance);
  });

  it("leaves out with exclusions only what has every word", () => {
    expect(ids('-"reinforcement learning"')).toEqual([1, 5]);
    expect(ids("-reinforcement learning")).toEqual([1, 3, 5]); // 3: "Learning is not reinforced" (stems)
    expect(ids("-reinforcement quantum")).toEqual([]);
  });

  it("brings papers in by associated words, but never past a quoted phrase", () => {
    // Paper 7 has none of the words, only "sampling", which the corpus associates with them here.
    const associations = new Map([[associationKey(["gener", "video"]), [{ term: "sampl", weight: 1 }]]]);
    const found = (topic: string) => matchTopic(index, compileTopic(parseTopic(topic)), new Map(), associations).map((hit) => hit.paperId);
    expect(found("video generation")).toContain(7);
    expect(match("video generation").map((hit) => hit.paperId)).not.toContain(7);
    expect(found('"video generation"')).toEqual([2]);
  });

  it("finds papers like a paper for like: topics, not the paper itself", () => {
    const hits = match("like:2605.00001");
    expect(hits.map((hit) => hit.paperId)).not.toContain(1);
    expect(hits.sort((a, b) => b.relevance - a.relevance)[0]?.paperId).toBe(3);
    expect(match("like:2605.99999")).toEqual([]);
  });
});

describe("stem", () => {
  it.each([
    ["agents", "agent"],
    ["agentic", "agent"],
    ["retrieval", "retriev"],
    ["retrieving", "retriev"],
    ["segmentation", "segment"],
    ["segmenting", "segment"],
    ["optimization", "optim"],
    ["optimizing", "optim"],
    ["gpt4s", "gpt4s"],
    ["gas", "gas"],
    ["大语言", "大语言"],
  ])("%s → %s", (word, expected) => {
    expect(stem(word)).toBe(expected);
  });
});
