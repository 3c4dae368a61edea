import { describe, expect, it } from "vitest";
import { indexPapers, matchTopic, type MatchablePaper } from "../../src/matching/match.ts";
import { compileTopic, parseTopic } from "../../src/matching/topics.ts";
import { stem } from "../../src/matching/tokens.ts";

const papers: MatchablePaper[] = [
  { id: 1, title: "Learning Agentic Policy from Action Guidance", abstract: "We train an agent with reinforcement learning.", authors: ["Ada Lovelace"], aiKeywords: ["agentic reinforcement learning"] },
  { id: 2, title: "AnyFlow: Any-Step Video Diffusion Model", abstract: "Diffusion for videos.", authors: ["Grace Hopper"], aiKeywords: ["video generation", "flow maps"] },
  { id: 3, title: "Multi-Agent Systems", abstract: "Agents that talk. Learning is not reinforced here.", authors: ["José Núñez"], aiKeywords: [] },
  { id: 4, title: "Vision-Language Models at Scale", abstract: "A study of studies.", authors: ["Alan Turing"], aiKeywords: ["mixture of experts"], categories: ["cs.CV", "cs.CL"] },
  { id: 5, title: "Scaling MoE LLMs", abstract: "We train large language models with RL. 我们研究大语言模型的推理能力。", authors: ["李明"], aiKeywords: [] },
];
const index = indexPapers(papers);
const match = (topic: string) => matchTopic(index, compileTopic(parseTopic(topic)));
const ids = (topic: string) => match(topic).map((hit) => hit.paperId).sort();

describe("matchTopic", () => {
  it.each([
    ["agents", [1, 3]],
    ["AGENT", [1, 3]],
    ["diffusion video", [2]],
    ["video diffusion", [2]],
    ['"video diffusion"', [2]],
    ['"diffusion video"', []],
    ["vision language", [4]],
    ['"vision-language model"', [4]],
    ["study", [4]],
    ['"experts mixture"', []],
    ["hopper", [2]],
    ["jose nunez", [3]],
    ["quantum", []],
    ['author:"Grace Hopper"', [2]],
    ["author:turing", [4]],
    ['author:"Hopper Grace"', []],
    ["author:agent", []],
    ["cat:cs.CL", [4]],
    ["cat:cs.LG", []],
    ["cs", []],
    ["moe", [4, 5]],
    ['"mixture of experts"', [4, 5]],
    ["reinforcement learning", [1]],
    ['"reinforcement learning"', [1, 5]],
    ["rl", [1, 5]],
    ["llm", [5]],
    ["(vlm | vision-language)", [4]],
    ["(robots | agents) talk", [3]],
    ["大语言模型", [5]],
    ["推理能力", [5]],
    ["语言推理", []],
    ["author:李明", [5]],
    ["a.*b [x] $^", []],
  ])("%s → papers %j", (topic, expected) => {
    expect(ids(topic)).toEqual(expected);
  });

  it("never lets a phrase span two keywords or two authors", () => {
    expect(ids('"generation flow"')).toEqual([]);
  });

  it("scores a title match above an abstract-only match and names the fields", () => {
    const hits = match("agents");
    const title = hits.find((hit) => hit.paperId === 3);
    const abstractOnly = hits.find((hit) => hit.paperId === 1);
    expect(title?.fields).toEqual(["title", "abstract"]);
    expect(abstractOnly?.fields).toEqual(["abstract"]);
    expect(title!.relevance).toBeGreaterThan(abstractOnly!.relevance);
    for (const hit of hits) expect(hit.relevance).toBeGreaterThan(0), expect(hit.relevance).toBeLessThan(1);
  });
});

describe("stem", () => {
  it.each([
    ["agents", "agent"],
    ["studies", "study"],
    ["matches", "match"],
    ["processes", "process"],
    ["analyses", "analysis"],
    ["analysis", "analysis"],
    ["class", "class"],
    ["corpus", "corpus"],
    ["gpt4s", "gpt4s"],
    ["gas", "gas"],
  ])("%s → %s", (word, expected) => {
    expect(stem(word)).toBe(expected);
  });
});
