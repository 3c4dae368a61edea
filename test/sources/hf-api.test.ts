// The Hugging Face Daily Papers API source against a local server replaying
// recorded responses, and broken variants of them.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHfSource } from "../../src/sources/hf-api.ts";
import { retryAfterMs } from "../../src/sources/http.ts";
import { startFixtureServer, type FixtureServer, type Reply } from "../helpers/fixture-server.ts";
import { HF_DAILY_FILES, readHfDaily } from "../helpers/fixtures.ts";

let server: FixtureServer;
const sleeps: number[] = [];
const sleep = async (ms: number) => void sleeps.push(ms);
const day = readHfDaily("2026-05-12"); // 50 real entries
const json = (body: unknown): Reply => ({ headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** Serves the recorded day in pages, like the real endpoint's p/limit. */
function pages(entries: unknown[]) {
  return (url: URL): Reply | undefined => {
    if (url.pathname !== "/api/daily_papers") return undefined;
    const page = Number(url.searchParams.get("p"));
    const limit = Number(url.searchParams.get("limit"));
    return json(entries.slice(page * limit, (page + 1) * limit));
  };
}

const source = (extra: Partial<Parameters<typeof createHfSource>[0]> = {}) => createHfSource({ date: "2026-05-12", baseUrl: server.url, sleep, retries: 2, ...extra });

beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(async () => {
  await server.close();
});

describe("Hugging Face Daily Papers API source", () => {
  it("reads every page of the day and sends the token when there is one", async () => {
    server.handle(pages(day));
    server.requests.length = 0;
    const batch = await source({ pageSize: 20, token: "hf_secret" }).fetchPapers();
    expect(batch.papers.map((paper) => paper.arxivId)).toEqual(day.map((entry) => entry.paper.id));
    expect(batch.rejected).toEqual([]);
    expect(server.requests.map((request) => request.path)).toEqual([0, 1, 2].map((p) => `/api/daily_papers?date=2026-05-12&p=${p}&limit=20`));
    expect(server.requests[0]?.headers.authorization).toBe("Bearer hf_secret");
    expect(batch.papers.every((paper) => paper.featuredOn === "2026-05-12")).toBe(true);
  });

  it("waits as long as a 429 asks (Retry-After or RateLimit), then succeeds", async () => {
    let calls = 0;
    server.handle((url) => {
      calls++;
      if (calls === 1) return { status: 429, headers: { "retry-after": "7" } };
      if (calls === 2) return { status: 429, headers: { ratelimit: '"api";r=0;t=42' } };
      return pages(day.slice(0, 5))(url);
    });
    sleeps.length = 0;
    const batch = await source().fetchPapers();
    expect(batch.papers).toHaveLength(5);
    expect(sleeps).toEqual([7_000, 42_000]);
  });

  it("retries server errors with backoff, gives up with the status, and never retries a 404", async () => {
    server.handle(() => ({ status: 502, body: "bad gateway" }));
    sleeps.length = 0;
    await expect(source().fetchPapers()).rejects.toMatchObject({ code: "SOURCE_UNAVAILABLE", message: expect.stringContaining("HTTP 502") });
    expect(sleeps).toEqual([2_000, 4_000]);
    server.handle(() => ({ status: 404 }));
    sleeps.length = 0;
    await expect(source().fetchPapers()).rejects.toMatchObject({ code: "SOURCE_UNAVAILABLE", message: expect.stringContaining("HTTP 404") });
    expect(sleeps).toEqual([]);
  });

  it.each([
    ["malformed JSON", { body: '[{"paper": {"id": "2605.1' }, /is not valid JSON/],
    ["a 200 with an HTML error page", { headers: { "content-type": "text/html" }, body: "<!DOCTYPE html><html><body>Rate limited</body></html>" }, /returned an HTML page instead of JSON/],
    ["an object instead of an array", { body: '{"error":"Invalid date"}' }, /expected a JSON array/],
    ["an absurdly large body", { body: `[${"1,".repeat(600_000)}1]` }, /more than the 1000000 bytes allowed/],
  ] as Array<[string, Reply, RegExp]>)("refuses %s with a specific error", async (_, reply, message) => {
    server.handle(() => reply);
    await expect(source({ maxBytes: 1_000_000 }).fetchPapers()).rejects.toMatchObject({ message: expect.stringMatching(message) });
  });

  it("reports a truncated body", async () => {
    server.handle(() => ({ body: readFileSync(HF_DAILY_FILES["2026-05-12"], "utf8"), destroy: "mid-body" }));
    await expect(source({ retries: 0 }).fetchPapers()).rejects.toMatchObject({ code: expect.stringMatching(/SOURCE_(UNAVAILABLE|MALFORMED)/) });
  });

  it("keeps good entries and rejects wrong-typed ones and duplicates with their reasons; titles stay text", async () => {
    const entries = structuredClone(day.slice(0, 4)) as Array<{ paper: Record<string, unknown> }>;
    entries[1]!.paper.upvotes = "many";
    entries[2]!.paper.title = "Attention is <b>all</b> you need for $\\mathcal{O}(n)$ & more";
    server.handle(pages([...entries, structuredClone(entries[0])]));
    const batch = await source({ pageSize: 3 }).fetchPapers();
    expect(batch.papers.map((paper) => paper.arxivId)).toEqual([entries[0], entries[2], entries[3]].map((entry) => entry!.paper.id));
    expect(batch.papers[1]?.title).toBe("Attention is <b>all</b> you need for $\\mathcal{O}(n)$ & more");
    expect(batch.rejected).toEqual([
      { index: 1, id: entries[1]!.paper.id, reason: expect.stringMatching(/^page 0: paper\.upvotes/) },
      { index: 3, id: entries[0]!.paper.id, reason: "duplicate of an entry on an earlier page" },
    ]);
  });
});

describe("retryAfterMs", () => {
  it.each([
    [{ "retry-after": "120" }, 120_000],
    [{ "retry-after": "Thu, 14 May 2026 08:01:00 GMT" }, 60_000],
    [{ ratelimit: '"api";r=0;t=57' }, 57_000],
    [{ "ratelimit-reset": "9" }, 9_000],
    [{}, undefined],
  ])("%j → %s ms", (headers, expected) => {
    expect(retryAfterMs(new Headers(headers), Date.parse("2026-05-14T08:00:00Z"))).toBe(expected);
  });
});
