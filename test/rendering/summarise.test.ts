import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SUMMARY_LIMIT, summarise } from "../../src/rendering/summarise.ts";

const long = (words: number) => Array.from({ length: words }, (_, i) => `word${i}`).join(" ");

describe("summarise", () => {
  it.each([
    ["two short sentences", "One. Two. Three.", "One. Two."],
    ["one sentence without an end", "No end here", "No end here"],
    ["a decimal point", "Qwen-Image-2.0 is an image model. It edits.", "Qwen-Image-2.0 is an image model. It edits."],
    ["a version in the middle", "We present PersonalAI 2.0 (PAI-2), a framework. It helps. More.", "We present PersonalAI 2.0 (PAI-2), a framework. It helps."],
    ["a dot inside a name", "DR.Q improves Q-learning. It is fast.", "DR.Q improves Q-learning. It is fast."],
    ["a domain name", "Reviews from kino.kz, 4,943 titles. Mostly Russian. Also Kazakh.", "Reviews from kino.kz, 4,943 titles. Mostly Russian."],
    ["abbreviations", "Models, e.g. GPT, fail (Smith et al. 2024). See Fig. 3 for details. Next.", "Models, e.g. GPT, fail (Smith et al. 2024). See Fig. 3 for details."],
    ["an initial", "Work by J. Smith shows gains. Then more. And more.", "Work by J. Smith shows gains. Then more."],
    ["i.e. and vs.", "It beats the baseline, i.e. the best vs. the rest. word2vec too. Yes.", "It beats the baseline, i.e. the best vs. the rest. word2vec too."],
    ["a quote closing the sentence", 'Is it a "world simulator?" Yet no benchmark exists. More.', 'Is it a "world simulator?" Yet no benchmark exists.'],
    ["ellipsis and exclamation", "Wait... It works! Really?", "Wait... It works!"],
    ["white space collapsed", "  One\n\tsentence.   Two  ", "One sentence. Two"],
    ["empty", "", ""],
  ])("%s", (_, text, expected) => {
    expect(summarise(text)).toBe(expected);
  });

  it("keeps only the first sentence when the second would pass the limit", () => {
    const first = `${long(30)}.`;
    expect(summarise(`${first} ${long(40)}.`)).toBe(first);
  });

  it("cuts a long first sentence at a word boundary", () => {
    const summary = summarise(`${long(200)}.`);
    expect(summary.length).toBeLessThanOrEqual(SUMMARY_LIMIT);
    expect(summary).toMatch(/^word0 word1 .* word\d+…$/);
  });

  it.each([
    ["one unbroken word", "a".repeat(1_000_000)],
    ["words without a sentence end", "lorem ipsum ".repeat(100_000)],
    ["dots without spaces", "a.".repeat(500_000)],
    ["white space", " ".repeat(1_000_000)],
  ])("reads only the opening of 1 MB of %s", (_, text) => {
    const summary = summarise(text);
    expect(summary.length).toBeLessThanOrEqual(SUMMARY_LIMIT);
    expect(text.replace(/\s+/g, " ").trim().startsWith(summary.replace(/…$/, ""))).toBe(true);
  });

  it("never splits a surrogate pair when cutting", () => {
    const summary = summarise("😀".repeat(1_000));
    expect(summary).toMatch(/^(😀)+…$/);
    expect(summary.length).toBeLessThanOrEqual(SUMMARY_LIMIT);
  });

  it("keeps the text before a decimal point in the real sample (4 of 137 papers lost it)", () => {
    const entries = JSON.parse(readFileSync(new URL("../../data/sample/hf-daily-2026-05-12.json", import.meta.url), "utf8")) as Array<{ paper: { id: string; ai_summary: string } }>;
    const qwen = entries.find((entry) => entry.paper.id === "2605.10730");
    expect(summarise(qwen!.paper.ai_summary)).toMatch(/^Qwen-Image-2\.0 is an advanced image generation model/);
  });
});
