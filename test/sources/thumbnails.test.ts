// Thumbnails are fetched after ingest from the allowed origins only, scaled to a
// small JPEG, stored, and served by the instance; a bad reply is recorded on its
// paper and never stops the rest.
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestBatch } from "../../src/sources/ingest.ts";
import type { PaperInput } from "../../src/sources/source.ts";
import { fetchThumbnails, THUMBNAIL_WIDTH, type ThumbnailSettings } from "../../src/sources/thumbnails.ts";
import { SAMPLE_FILES } from "../../src/cli/demo.ts";
import { runDigest } from "../../src/digest/run-digest.ts";
import { THUMBNAILS_SHOWN } from "../../src/rendering/render-digest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { startFixtureServer, type FixtureServer, type Reply } from "../helpers/fixture-server.ts";
import { serveThumbnails, socialThumbnail } from "../helpers/thumbnails.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { startTestApp, type TestApp } from "../helpers/web-app.ts";

let test: TestDatabase;
let cdn: FixtureServer;
let settings: ThumbnailSettings;
let png: Buffer;
const now = new Date("2026-05-14T12:00:00Z");

beforeAll(async () => {
  test = await createTestDatabase();
  png = await socialThumbnail("Scaling diffusion transformers for long video generation");
  cdn = await startFixtureServer((url): Reply | undefined => {
    const [, kind] = url.pathname.split("/");
    if (kind === "ok") return { headers: { "content-type": "image/png" }, body: png };
    if (kind === "html") return { headers: { "content-type": "text/html" }, body: "<!doctype html><p>Sign in to continue" };
    if (kind === "garbage") return { headers: { "content-type": "image/png" }, body: Buffer.from("not a png at all") };
    if (kind === "moved") return { status: 302, headers: { location: `${cdn.url}/ok/elsewhere.png` } };
    if (kind === "down") return { status: 500, body: "oops" };
    return undefined;
  });
  settings = { origins: [cdn.url] };
});
afterAll(async () => {
  await cdn?.close();
  await test?.drop();
});

const paper = (id: string, thumbnailUrl: string | undefined): PaperInput => ({
  arxivId: id,
  title: `Paper ${id}`,
  abstract: "An abstract.",
  authors: ["Ada Lovelace"],
  featuredOn: "2026-05-14",
  thumbnailUrl,
});

const requestsFor = (prefix: string) => cdn.requests.filter((request) => request.path.startsWith(prefix)).length;

describe("thumbnails", () => {
  it("stores each allowed thumbnail as a JPEG at most THUMBNAIL_WIDTH wide, and records why the others failed", async () => {
    const papers = [
      paper("2605.00001", `${cdn.url}/ok/2605.00001.png`),
      paper("2605.00002", `${cdn.url}/html/2605.00002.png`),
      paper("2605.00003", `${cdn.url}/garbage/2605.00003.png`),
      paper("2605.00004", `${cdn.url}/ok/2605.00004.png`),
      paper("2605.00005", "https://cdn.elsewhere.example/x.png"),
      paper("2605.00006", `${cdn.url}/moved/2605.00006.png`),
      paper("2605.00007", undefined),
    ];
    const result = await ingestBatch(test.db, { source: "file", papers, rejected: [] }, { thumbnails: settings, now: () => now });
    expect(result.thumbnails).toMatchObject({ stored: 2, failed: 4 });

    const rows = new Map((await test.db.thumbnail.findMany({ include: { paper: { select: { arxivId: true } } } })).map((row) => [row.paper.arxivId, row]));
    expect(rows.size).toBe(6);
    for (const id of ["2605.00001", "2605.00004"]) {
      const row = rows.get(id)!;
      const meta = await sharp(Buffer.from(row.bytes!)).metadata();
      expect(meta).toMatchObject({ format: "jpeg", width: THUMBNAIL_WIDTH, height: Math.round((648 * THUMBNAIL_WIDTH) / 1200) });
      expect(row).toMatchObject({ width: THUMBNAIL_WIDTH, error: null });
      expect(row.bytes!.length).toBeLessThan(png.length);
    }
    expect(rows.get("2605.00002")).toMatchObject({ bytes: null, error: expect.stringMatching(/text\/html, not an image/) });
    expect(rows.get("2605.00003")).toMatchObject({ bytes: null, error: expect.stringMatching(/./) });
    expect(rows.get("2605.00005")).toMatchObject({ bytes: null, error: expect.stringMatching(/https:\/\/cdn\.elsewhere\.example is not an allowed thumbnail origin/) });
    // A redirect is not followed: an allowed host cannot send the instance elsewhere.
    expect(rows.get("2605.00006")).toMatchObject({ bytes: null });
    expect(requestsFor("/ok/elsewhere")).toBe(0);
  });

  it("fetches a stored thumbnail once, and tries a failed one again an hour later, three times at most", async () => {
    const before = { ok: requestsFor("/ok/"), html: requestsFor("/html/") };
    await ingestBatch(test.db, { source: "file", papers: [], rejected: [] }, { thumbnails: settings, now: () => new Date(now.getTime() + 10 * 60_000) });
    expect({ ok: requestsFor("/ok/"), html: requestsFor("/html/") }).toEqual(before);

    for (let hour = 1; hour <= 4; hour++) await ingestBatch(test.db, { source: "file", papers: [], rejected: [] }, { thumbnails: settings, now: () => new Date(now.getTime() + hour * 3_700_000) });
    expect(requestsFor("/ok/")).toBe(before.ok);
    expect(requestsFor("/html/")).toBe(3);
    // The origin that is not allowed was never asked, and is not asked again.
    const elsewhere = await test.db.thumbnail.findFirstOrThrow({ where: { paper: { arxivId: "2605.00005" } } });
    expect(elsewhere.attempts).toBe(3);
  });

  it("stops after three failures in a row (the host is down) and says so, leaving the rest for the next ingest", async () => {
    const papers = Array.from({ length: 8 }, (_, i) => paper(`2605.001${i}`, `${cdn.url}/down/${i}.png`));
    const result = await ingestBatch(test.db, { source: "file", papers, rejected: [] }, { thumbnails: settings, now: () => now });
    expect(result.thumbnails?.error).toMatch(/stopped after 3 failures in a row: .*500/);
    expect(requestsFor("/down/")).toBeLessThan(papers.length);
    expect(result.thumbnails!.stored + result.thumbnails!.failed).toBe(requestsFor("/down/"));
  });

  it("fetches nothing when PAPERBOY_THUMBNAILS is off (no origins)", async () => {
    const count = cdn.requests.length;
    const result = await ingestBatch(test.db, { source: "file", papers: [paper("2605.00200", `${cdn.url}/ok/2605.00200.png`)], rejected: [] }, { thumbnails: { origins: [] } });
    expect(result.thumbnails).toBeUndefined();
    expect(cdn.requests.length).toBe(count);
  });
});

describe("thumbnails in the digest", () => {
  let t: TestApp;
  let listing: FixtureServer;
  beforeAll(async () => {
    t = await startTestApp();
    listing = await startFixtureServer();
    await ingestBatch(t.test.db, await createJsonFileSource(SAMPLE_FILES).fetchPapers());
    await fetchThumbnails(t.test.db, await serveThumbnails(t.test.db, listing), now);
    await addSubscriber(t.test.db, { email: "ada@example.org", topics: ['"video generation"'], source: "cli" }, now);
    await addSubscriber(t.test.db, { email: "bob@example.org", topics: ['"video generation"'], textOnly: true, source: "cli" }, now);
  });
  afterAll(async () => {
    await t?.close();
    await listing?.close();
  });

  it(`shows the first ${THUMBNAILS_SHOWN} papers' thumbnails, served by the instance to anyone, and none to a reader who chose text only`, async () => {
    await runDigest(t.deps, { date: "2026-05-13" });
    const html = (email: string) => String(t.sink.messages.find((message) => message.to.includes(email))?.parsed.html);
    const sources = [...html("ada@example.org").matchAll(/<img src="([^"]+)"/g)].map((match) => match[1]!);
    expect(sources).toHaveLength(THUMBNAILS_SHOWN);
    expect(html("bob@example.org")).not.toContain("<img");
    expect(html("bob@example.org")).toContain('class="card"');

    for (const source of sources) {
      expect(source.startsWith(`${t.baseUrl}/thumbnails/`)).toBe(true);
      const response = await fetch(source);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/jpeg");
      expect(response.headers.get("cache-control")).toMatch(/public, max-age=\d+/);
      expect((await sharp(Buffer.from(await response.arrayBuffer())).metadata()).format).toBe("jpeg");
      // A browser that has it asks again with the date it was given: nothing to send.
      const again = await fetch(source, { headers: { "if-modified-since": response.headers.get("last-modified")! } });
      expect(again.status).toBe(304);
      expect((await again.arrayBuffer()).byteLength).toBe(0);
    }
    // The same address for every reader: loading an image tells the instance nothing about who opened the email.
    expect(sources.every((source) => !source.includes("token"))).toBe(true);
    for (const path of ["2605.99999.jpg", "2605.00001.png", "..%2F..%2Fetc%2Fpasswd.jpg"]) expect((await fetch(`${t.baseUrl}/thumbnails/${path}`)).status).toBe(404);

    // The browser view loads them from the origin it is served on, and its policy allows images from there only.
    const message = (email: string) => t.sink.messages.find((received) => received.to.includes(email))!;
    const view = await fetch(t.linksIn(message("ada@example.org"), "/digests/daily%3A2026-05-13")[0]!);
    expect(view.headers.get("content-security-policy")).toContain("img-src 'self';");
    expect([...(await view.text()).matchAll(/<img src="([^"]+)"/g)].map((match) => match[1])).toEqual(sources.map((source) => source.slice(t.baseUrl.length)));
    const textOnly = await fetch(t.linksIn(message("bob@example.org"), "/digests/daily%3A2026-05-13")[0]!);
    expect(await textOnly.text()).not.toContain("<img");
  });
});
