import { describe, expect, it } from "vitest";
import { compileTopic, formatTopic, parseTopic } from "../../src/matching/topics.ts";

describe("parseTopic", () => {
  it.each([
    ["agents", { kind: "keyword", query: "agents" }],
    ["  Diffusion   Video ", { kind: "keyword", query: "diffusion video" }],
    ['"Mixture of Experts"', { kind: "phrase", query: "mixture of experts" }],
    ['video "flow matching"', { kind: "keyword", query: 'video "flow matching"' }],
    ["大语言模型", { kind: "keyword", query: "大语言模型" }],
    ["vision-language", { kind: "keyword", query: "vision-language" }],
    ['author:"Yann LeCun"', { kind: "author", query: "yann lecun" }],
    ["Author: LeCun", { kind: "author", query: "lecun" }],
    ["cat:cs.cl", { kind: "category", query: "cs.CL" }],
    ["-survey", { kind: "exclude", query: "survey" }],
    ['-"position paper"', { kind: "exclude", query: '"position paper"' }],
    ["<script>alert('x')</script>", { kind: "keyword", query: "<script>alert 'x' </script>" }],
    ["(LLM | large language model) agents", { kind: "keyword", query: '(llm | "large language model") agents' }],
    ['( "diffusion" ) video', { kind: "keyword", query: "diffusion video" }],
    ["大语言模型", { kind: "keyword", query: "大语言模型" }],
  ])("parses %j", (input, expected) => {
    expect(parseTopic(input)).toEqual(expected);
  });

  it.each([
    ["", /empty/],
    ["   ", /empty/],
    ['"unbalanced', /unbalanced quote at character 1/],
    ["a".repeat(201), /at most 200 characters/],
    ["agents\u0000", /control characters/],
    ["!!! ???", /no words/],
    ['""', /no words/],
    ["cat:cs.XYZ", /unknown arXiv category "cs.XYZ"/],
    ["author:", /no words/],
    ["-", /no words/],
    ['author:"Yann', /unbalanced quote/],
    ["(llm | agents", /unbalanced parenthesis at character 1/],
    ["llm | agents", /unexpected "\|" at character 5/],
    ["agents)", /unexpected "\)" at character 7/],
    ["( | )", /the group at character 1 .* has no words/],
    ["((a | b))", /unbalanced parenthesis/],
  ])("rejects %j", (input, message) => {
    expect(() => parseTopic(input)).toThrow(message);
  });
});

describe("formatTopic", () => {
  it.each(['agents', '"mixture of experts"', 'author:"yann lecun"', "cat:cs.CL", "-survey", '-"position paper"', 'video "flow matching"'])(
    "reads back %s",
    (text) => {
      expect(formatTopic(parseTopic(text))).toBe(text);
    },
  );
});

describe("compileTopic", () => {
  it("turns each word into a clause and a phrase into one clause of consecutive terms", () => {
    expect(compileTopic({ kind: "keyword", query: 'video "flow matching"' }).clauses).toEqual([
      { text: "video", terms: ["video"], alternatives: [["video"]] },
      { text: "flow matching", terms: ["flow", "matching"], alternatives: [["flow", "matching"]] },
    ]);
  });

  it("expands abbreviations and synonyms from the table, and any-of groups", () => {
    expect(compileTopic({ kind: "phrase", query: "mixture of experts" }).clauses[0]?.alternatives).toEqual([["mixture", "of", "expert"], ["moe"]]);
    expect(compileTopic(parseTopic("RL")).clauses[0]?.alternatives).toEqual([["rl"], ["reinforcement", "learning"]]);
    expect(compileTopic(parseTopic('(robot | "embodied agent")')).clauses[0]?.alternatives).toEqual([["robot"], ["embodied", "agent"]]);
    expect(compileTopic(parseTopic('author:"Yann LeCun"')).clauses[0]?.alternatives).toEqual([["yann", "lecun"]]);
  });

  it("gives identical topics the same key, so they are matched once per run", () => {
    const a = compileTopic(parseTopic("Agents"));
    const b = compileTopic(parseTopic(" agents "));
    expect(a.key).toBe(b.key);
  });
});
