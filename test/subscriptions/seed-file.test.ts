import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isAppError } from "../../src/errors.ts";
import { MAX_SEED_ENTRIES, parseSeedFile } from "../../src/subscriptions/seed-file.ts";
import { FIXTURES_DIR } from "../helpers/fixtures.ts";

const seed = (name: string) => readFileSync(`${FIXTURES_DIR}/seed/${name}`, "utf8");
const BOOK = { entry: "Introduction to Information Retrieval", reason: expect.stringContaining("names no arXiv paper") };

describe("parseSeedFile on real export shapes", () => {
  it.each([
    ["zotero.bib", "bibtex"],
    ["zotero.ris", "ris"],
    ["zotero-csl.json", "csl-json"],
  ] as const)("%s (Zotero): the three HF papers and the arXiv one, the book reported by title", async (name, format) => {
    expect(await parseSeedFile(seed(name))).toEqual({ format, ids: ["2605.12357", "2605.09530", "2605.10344", "2201.13452"], unresolved: [BOOK] });
  });

  it("mendeley.bib: ids from arxivId/eprint with archivePrefix = {arXiv}", async () => {
    expect(await parseSeedFile(seed("mendeley.bib"))).toEqual({ format: "bibtex", ids: ["2605.10899", "2605.09063", "2605.12357"], unresolved: [] });
  });

  it("ids.txt: bare ids, abs/pdf/HF URLs and arXiv: prefixes without versions; comments skipped; a bad line named", async () => {
    expect(await parseSeedFile(seed("ids.txt"))).toEqual({
      format: "ids",
      ids: ["2605.12357", "2605.09530", "2605.10344", "2605.10899", "2605.09063", "2201.13452", "2201.13455"],
      unresolved: [{ entry: 'line 10 ("see my notes")', reason: expect.stringContaining("names no arXiv paper") }],
    });
  });
});

describe("parseSeedFile, one field at a time", () => {
  it.each([
    ["eprint with archivePrefix", "@article{k, title={T}, archivePrefix={arXiv}, eprint={2605.13724v2}}", ["2605.13724"]],
    ["eprint of another archive is not an arXiv id", "@article{k, title={T}, archivePrefix={HAL}, eprint={2605.13724}, url={https://hal.science/x}}", []],
    ["biblatex eprinttype", "@online{k, title={T}, eprinttype={arxiv}, eprint={hep-th/9901001}}", ["hep-th/9901001"]],
    ["pdf url", "@misc{k, title={T}, url={https://arxiv.org/pdf/2605.13724v1}}", ["2605.13724"]],
    ["DataCite DOI only", "@misc{k, title={T}, doi={10.48550/ARXIV.2605.13724}}", ["2605.13724"]],
    ["journal note", "@article{k, title={T}, journal={arXiv preprint arXiv:2605.13724}}", ["2605.13724"]],
    ["a year and pages are not ids", "@article{k, title={T}, journal={Nature}, year={2017}, pages={1706.0376}}", []],
    ["the same paper twice", "@misc{a, title={A}, eprint={2605.13724}}\n@misc{b, title={B}, url={https://arxiv.org/abs/2605.13724v3}}", ["2605.13724"]],
  ])("BibTeX: %s", async (_name, text, ids) => {
    expect((await parseSeedFile(text)).ids).toEqual(ids);
  });

  it("RIS with LF line ends and an arXiv id only in the journal", async () => {
    expect((await parseSeedFile("TY  - JOUR\nTI  - T\nJO  - arXiv preprint arXiv:2605.13724\nER  - \n")).ids).toEqual(["2605.13724"]);
  });

  it("a single CSL-JSON object, id in `number`", async () => {
    expect((await parseSeedFile(JSON.stringify({ id: "x", type: "article", title: "T", number: "arXiv:2605.13724" }))).ids).toEqual(["2605.13724"]);
  });

  it("a BibTeX entry without a title is reported by its key", async () => {
    expect((await parseSeedFile("@book{knuth1984, author={Knuth, Donald}}")).unresolved).toEqual([{ entry: "knuth1984", reason: expect.any(String) }]);
  });
});

describe("parseSeedFile rejects what it cannot read, saying where", () => {
  const entries = (n: number) => Array.from({ length: n }, (_, i) => `2605.${String(10000 + i)}`).join("\n");
  it.each([
    { text: "", message: /the file is empty/ },
    { text: "Dear reader,\nhere are my papers", message: /line 1 is neither BibTeX, RIS, CSL-JSON nor an arXiv id or URL: "Dear reader,"/ },
    { text: "@misc{fine, title = {T}, eprint = {2605.13724}}\n\n@article{broken, title = {never closed\n", message: /the BibTeX entry on line 3 could not be read: Unterminated brace-value/ },
    { text: Array.from({ length: 501 }, (_, i) => `@misc{k${i}, eprint = {2605.${10000 + i}}}`).join("\n"), message: /has 501 entries; at most 500/ },
    { text: '[{"title": "T",}]', message: /looks like CSL-JSON but is not valid JSON/ },
    { text: "[1, 2]", message: /CSL-JSON entry 1 is not an object/ },
    { text: "TY  - JOUR\nTI  - Unfinished\n", message: /the last RIS record \(Unfinished\) has no "ER {2}- " line/ },
    { text: "junk\nTY  - JOUR\nER  - \n", message: /line 1 is not an RIS line/ },
    { text: "# only comments\n\n", message: /no arXiv ids/ },
    { text: entries(MAX_SEED_ENTRIES + 1), message: /has 501 entries; at most 500/ },
    { text: `${"x".repeat(1024 * 1024)}\n`, message: /larger than 1 MB/ },
  ])("says $message", async ({ text, message }) => {
    const thrown = await parseSeedFile(text).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isAppError(thrown, "INVALID_ARGUMENT")).toBe(true);
    expect((thrown as Error).message).toMatch(message);
  });

  it("a @string macro defined once is used by later entries", async () => {
    expect((await parseSeedFile("@string{ax = {arXiv preprint arXiv:2605.13724}}\n@article{k, title = {T}, journal = ax}\n")).ids).toEqual(["2605.13724"]);
  });

  it("500 entries are fine", async () => {
    expect((await parseSeedFile(entries(MAX_SEED_ENTRIES))).ids).toHaveLength(MAX_SEED_ENTRIES);
  });
});
