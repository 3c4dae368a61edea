import { describe, expect, it } from "vitest";
import { compileTopic, describeTopic, formatTopic, parsePaperReference, parseTopic } from "../../src/matching/topics.ts";

describe("parseTopic", () => {
  it.each([
    ["agents", { kind: "keyword", query: "agents" }],
    ["  Diffusion   Video ", { kind: "keyword", query: "diffusion video" }],
    ['"Mixture of Experts"', { kind: "phrase", query: "mixture of experts" }],
    ['video "flow matching"', { kind: "keyword", query: 'video "flow matching"' }],
    ["大语言模型", { kind: "keyword", query: "大语言模型" }],
    ["vision-language", { kind: "keyword", query: "vision-language" }],
    ['author:"Yann LeCun"', { kind: "author", query: "Yann LeCun" }],
    ["Author: LeCun", { kind: "author", query: "LeCun" }],
    ["cat:cs.cl", { kind: "category", query: "cs.CL" }],
    ["-survey", { kind: "exclude", query: "survey" }],
    ['-"position paper"', { kind: "exclude", query: '"position paper"' }],
    ["<script>alert('x')</script>", { kind: "keyword", query: "<script>alert 'x', script>" }],
    ["(LLM | large language model) agents", { kind: "keyword", query: '(llm | "large language model") agents' }],
    ['( "diffusion" ) video', { kind: "keyword", query: "diffusion video" }],
    // Alternatives: commas, slashes, semicolons, bars and "or" between them.
    ["Robot learning / embodied AI", { kind: "keyword", query: "robot learning, embodied ai" }],
    ["reinforcement learning, robotics", { kind: "keyword", query: "reinforcement learning, robotics" }],
    ["code generation or program synthesis", { kind: "keyword", query: "code generation, program synthesis" }],
    ["llm | agents; rag", { kind: "keyword", query: "llm, agents, rag" }],
    ['"a, b" or c', { kind: "keyword", query: '"a, b", c' }],
    ["speech and audio", { kind: "keyword", query: "speech and audio" }],
    ["like:2605.13724", { kind: "like", query: "2605.13724" }],
    ["like: arXiv:2605.13724v2", { kind: "like", query: "2605.13724" }],
    ["like:https://arxiv.org/abs/2605.13724v3", { kind: "like", query: "2605.13724" }],
    ["like:https://arxiv.org/pdf/2605.13724.pdf", { kind: "like", query: "2605.13724" }],
    ["like:https://huggingface.co/papers/2605.13724", { kind: "like", query: "2605.13724" }],
    ["Like:hep-ph/9411242", { kind: "like", query: "hep-ph/9411242" }],
  ])("parses %j", (input, expected) => {
    expect(parseTopic(input)).toEqual(expected);
  });

  it.each([
    ["", /empty/],
    ["   ", /empty/],
    ['"unbalanced', /the quote mark \("\) at character 1 of "unbalanced has no closing quote: add one, or remove it/],
    ["a".repeat(201), /at most 200 characters/],
    ["agents\u0000", /control characters/],
    ["!!! ???", /no words/],
    ['""', /no words/],
    [", / ;", /no words/],
    ["cat:cs.XYZ", /unknown arXiv category "cs.XYZ"/],
    ["author:", /no words/],
    ["-", /no words/],
    ['author:"Yann', /has no closing quote/],
    ["(llm | agents", /the group opened at character 1 of \(llm \| agents is not closed/],
    ["agents)", /the "\)" at character 7 of agents\) has no group to close/],
    ["( | )", /the group at character 1 .* has no words/],
    ["((a | b))", /is not closed, or holds another group/],
    ["like:", /does not name an arXiv paper/],
    ["like:attention is all you need", /does not name an arXiv paper/],
    ["like:https://example.com/abs/2605.13724", /does not name an arXiv paper/],
  ])("rejects %j", (input, message) => {
    expect(() => parseTopic(input)).toThrow(message);
  });

  it("reads paper references the way people paste them", () => {
    expect(parsePaperReference("https://arxiv.org/abs/2605.13724?context=cs")).toBe("2605.13724");
    expect(() => parsePaperReference("2605.137")).toThrow(/does not name an arXiv paper/);
  });
});

describe("formatTopic", () => {
  it.each(["agents", '"mixture of experts"', 'author:"Yann LeCun"', "cat:cs.CL", "-survey", '-"position paper"', 'video "flow matching"', "robot learning, embodied ai", "like:2605.13724"])(
    "reads back %s",
    (text) => {
      expect(formatTopic(parseTopic(text))).toBe(text);
    },
  );
});

describe("compileTopic", () => {
  it("turns the words into one ranked query: stop words out, stems in, adjacent words as pairs, quoted phrases required", () => {
    const [query, ...rest] = compileTopic({ kind: "keyword", query: 'retrieving papers for "flow matching"' }).queries;
    expect(rest).toEqual([]);
    expect(query?.words.map((word) => word.term)).toEqual(["retriev", "paper", "flow", "match"]);
    expect(query?.pairs).toEqual([
      ["retriev", "paper"],
      ["paper", "flow"],
      ["flow", "match"],
    ]);
    expect(query?.phrases).toEqual([["flow", "match"]]);
  });

  it("makes one query per alternative, any of which may match", () => {
    expect(compileTopic(parseTopic("robot learning / embodied AI")).queries.map((query) => query.label)).toEqual(["robot learning", "embodied ai"]);
    expect(compileTopic(parseTopic("speech and audio")).queries.map((query) => query.words.map((word) => word.word))).toEqual([["speech", "audio"]]);
  });

  it("adds the wordings of synonyms and any-of groups", () => {
    const rag = compileTopic(parseTopic("RAG")).queries;
    expect(rag.map((query) => query.via)).toEqual([undefined, "retrieval augmented generation"]);
    expect(compileTopic({ kind: "phrase", query: "mixture of experts" }).queries.map((query) => query.phrases)).toEqual([[["mixtur", "of", "expert"]], [["moe"]]]);
    expect(compileTopic(parseTopic("LLM agents")).queries.map((query) => query.via)).toEqual([undefined, "large language model agents"]);
    expect(compileTopic(parseTopic('(robot | "embodied agent") learning')).queries.map((query) => query.label)).toEqual(["robot learning", '"embodied agent" learning']);
  });

  it("keeps authors, categories and exclusions strict: every word required", () => {
    expect(compileTopic(parseTopic('author:"Yann LeCun"')).queries[0]?.phrases).toEqual([["yann", "lecun"]]);
    expect(compileTopic(parseTopic("-survey paper")).queries[0]?.phrases).toEqual([["survei"], ["paper"]]);
  });

  it("gives identical topics the same key, so they are matched once per run", () => {
    const a = compileTopic(parseTopic("Agents"));
    const b = compileTopic(parseTopic(" agents "));
    expect(a.key).toBe(b.key);
  });
});

describe("describeTopic", () => {
  it.each([
    ["agents", "papers using the word agents (more of them ranks higher)"],
    ["diffusion video", "papers using the words diffusion video (more of them ranks higher)"],
    ['"mixture of experts"', "papers with the exact phrase “mixture of experts”"],
    ['video "flow matching"', "papers using the word video, with the exact phrase “flow matching”"],
    ["robot learning, embodied ai", "papers using any of: the words robot learning; the words embodied ai (more of them ranks higher)"],
    ["(rag | retrieval) agents", "papers using (rag or retrieval) and agents (more of them ranks higher)"],
    ['(robot | "embodied agent") planning', "papers using (robot or “embodied agent”) and planning"],
    ['author:"Yann LeCun"', "papers by Yann LeCun"],
    ["cat:cs.CL", "papers in the arXiv category cs.CL"],
    ['-"position paper"', "leaves out papers about “position paper”"],
    ["like:2605.13724", "papers like arXiv 2605.13724"],
  ])("reads %s as: %s", (typed, meaning) => {
    expect(describeTopic(parseTopic(typed))).toBe(meaning);
  });
});
