// arXiv: the RSS listing and the export API (both Atom formats), against a
// local server replaying recorded responses; spacing checked with an injected sleep.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArxivSource, parseArxivAtom, parseArxivRss } from "../../src/sources/arxiv.ts";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.ts";
import { FIXTURES_DIR } from "../helpers/fixtures.ts";

const fixture = (name: string) => readFileSync(`${FIXTURES_DIR}/arxiv/${name}`, "utf8");
const CLASSIC = fixture("arxiv-api-query-electron-proton-2025-08.xml");
const NEWER = fixture("arxiv-api-query-electron-proton-2025-11.xml");
const ID_LIST = fixture("arxiv-api-idlist-2025-11.xml");
const RSS = fixture("rss-listing.xml");

describe("parseArxivAtom", () => {
  it.each([
    ["classic", CLASSIC],
    ["newer", NEWER],
  ])("reads the %s format: ids without versions, categories, comments, DOI and journal ref", (_, xml) => {
    const { papers, rejected } = parseArxivAtom(xml, "2025-11-13");
    expect(rejected).toEqual([]);
    expect(papers).toHaveLength(10);
    for (const paper of papers) {
      expect(paper.arxivId).not.toMatch(/v\d+$/);
      expect(paper.title).not.toMatch(/\s{2}|\n/);
      expect(paper.abstract.length).toBeGreaterThan(50);
      expect(paper.authors.length).toBeGreaterThan(0);
      expect(paper.categories?.length).toBeGreaterThan(0);
      expect(paper.categories).toContain(paper.primaryCategory);
      expect(paper.featuredOn).toBe("2025-11-13");
    }
    expect(papers.filter((paper) => paper.doi).length + papers.filter((paper) => paper.journalRef).length).toBeGreaterThan(0);
  });

  it("reads the classic format's details exactly", () => {
    const paper = parseArxivAtom(CLASSIC, "2025-08-20").papers.find((candidate) => candidate.arxivId === "hep-ph/9411242")!;
    expect(paper.title).toBe("Proton-ring and Electron-linac Collider (PRELC) as a (first) TeV-rangeelectron-proton or photon-proton collider");
    expect(paper.primaryCategory).toBe("hep-ph");
  });

  it("reads an id_list answer", () => {
    expect(parseArxivAtom(ID_LIST, "2025-11-13").papers).toEqual([
      expect.objectContaining({ arxivId: "2201.13452", primaryCategory: "math.AP", arxivComment: "34 pages", authors: ["Hong-Ming Yin", "Jun Zou"] }),
    ]);
  });

  it.each([
    ["malformed XML", NEWER.replace("</feed>", ""), /not well-formed Atom \(line \d+/],
    ["truncated XML", NEWER.slice(0, NEWER.length / 2), /not well-formed Atom/],
    ["an HTML page", "<!DOCTYPE html><html><body>Service Unavailable</body></html>", /HTML page instead of Atom/],
    ["RSS where Atom was expected", RSS, /not an Atom feed/],
    [
      "an API error entry",
      '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id><title>Error</title><summary>incorrect id format for 1234</summary></entry></feed>',
      /the arXiv API answered with an error: incorrect id format for 1234/,
    ],
  ])("refuses %s with a specific error", (_, xml, message) => {
    expect(() => parseArxivAtom(xml, "2025-11-13")).toThrow(message);
  });

  it("rejects bad entries with their reason and keeps the rest", () => {
    const entries = NEWER.split("<entry>");
    const broken = [
      entries[0],
      entries[1],
      entries[2]!.replace(/<title>[\s\S]*?<\/title>/, "<title>  </title>"),
      entries[3]!.replace(/<id>[^<]*<\/id>/, "<id>http://arxiv.org/abs/not-an-id</id>"),
      entries[1],
    ].join("<entry>");
    const { papers, rejected } = parseArxivAtom(`${broken}</feed>`, "2025-11-13");
    expect(papers).toHaveLength(1);
    expect(rejected.map((record) => record.reason)).toEqual([
      "title is missing or empty",
      'id "http://arxiv.org/abs/not-an-id" is not an arXiv identifier',
      "duplicate of an earlier entry for nucl-ex/0408020",
    ]);
  });
  it("rejects a year past 9999 and cuts over-long fields to their limits", () => {
    const entries = NEWER.split("<entry>");
    const huge = "word ".repeat(200_000);
    const spoiled = [
      entries[0],
      entries[1]!.replace(/<published>[^<]*<\/published>/, "<published>+010000-01-01T00:00:00Z</published>"),
      entries[2]!.replace(/<summary>[\s\S]*?<\/summary>/, `<summary>${huge}</summary>`),
      entries[3]!.replace(/<author>/, `<author><name>${"x".repeat(1_000_000)}</name></author><author>`).replace(/<arxiv:comment>[^<]*</, `<arxiv:comment>${huge}<`),
    ].join("<entry>");
    const { papers, rejected } = parseArxivAtom(`${spoiled}</feed>`, "2025-11-13");
    expect(rejected.map((record) => record.reason)).toEqual(["published is outside the years 0001–9999 (+010000-01-01T00:00:00Z)", "summary is longer than 20000 characters"]);
    expect(papers).toHaveLength(1);
    expect(papers[0]!.authors[0]!.length).toBeLessThanOrEqual(300);
    expect(papers[0]!.arxivComment!.length).toBeLessThanOrEqual(1_000);
  });
});

describe("parseArxivRss", () => {
  it("lists ids with their announce type and the listing day", () => {
    const listing = parseArxivRss(RSS);
    expect(listing.date).toBe("2025-11-13");
    expect(listing.items).toHaveLength(10);
    expect(listing.items.map((item) => item.announceType)).toEqual(["new", "new", "cross", "new", "replace", "new", "cross", "replace-cross", "new", "new"]);
    expect(listing.items[0]).toEqual({ id: "nucl-ex/0408020", announceType: "new" });
  });

  it("treats a weekend listing as empty, not as an error", () => {
    expect(parseArxivRss(fixture("rss-weekend.xml")).items).toEqual([]);
  });
});

describe("arXiv source", () => {
  let server: FixtureServer;
  const sleeps: number[] = [];
  let clock = 0; // advanced only by the injected sleep: the spacing is exact
  beforeAll(async () => {
    server = await startFixtureServer((url) => {
      if (url.pathname === "/rss/physics.acc-ph+nucl-ex") return { body: RSS };
      if (url.pathname === "/rss/cs.CL") return { body: fixture("rss-weekend.xml") };
      if (url.pathname === "/api/query") return { body: NEWER }; // the recorded answer, whatever the id_list
      return undefined;
    });
  });
  afterAll(async () => {
    await server.close();
  });
  const source = (extra: object = {}) =>
    createArxivSource({
      categories: ["physics.acc-ph", "nucl-ex"],
      rssBaseUrl: `${server.url}/rss`,
      apiBaseUrl: `${server.url}/api/query`,
      now: () => clock,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        clock += ms;
      },
      ...extra,
    });

  it("keeps new and cross-listed papers, fetches them by id_list in batches, one request every 3 s", async () => {
    server.requests.length = 0;
    sleeps.length = 0;
    const batch = await source({ batchSize: 3 }).fetchPapers();
    expect(batch.source).toBe("arxiv");
    expect(batch.papers.map((paper) => paper.arxivId).sort()).toEqual(["0803.1617", "1205.6628", "1309.4668", "1401.3666", "1602.03411", "1606.02159", "1610.08734", "nucl-ex/0408020"].sort());
    expect(batch.rejected).toEqual([]);
    expect(server.requests.map((request) => request.path.split("?")[0])).toEqual(["/rss/physics.acc-ph+nucl-ex", "/api/query", "/api/query", "/api/query"]);
    expect(server.requests[1]?.path).toBe("/api/query?id_list=nucl-ex/0408020,1309.4668,1606.02159&max_results=3");
    expect(sleeps).toEqual([3_000, 3_000, 3_000]);
    expect(batch.papers.every((paper) => paper.featuredOn === "2025-11-13")).toBe(true);
  });

  it("takes replacements too when configured", async () => {
    const batch = await source({ includeReplacements: true, intervalMs: 0 }).fetchPapers();
    expect(batch.papers).toHaveLength(10);
  });

  it("returns an empty batch for an empty (weekend) listing", async () => {
    const batch = await createArxivSource({ categories: ["cs.CL"], rssBaseUrl: `${server.url}/rss`, apiBaseUrl: `${server.url}/api/query`, intervalMs: 0 }).fetchPapers();
    expect(batch).toEqual({ source: "arxiv", papers: [], rejected: [] });
  });
});
