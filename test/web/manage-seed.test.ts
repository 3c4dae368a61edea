// Seeding topics from a file of papers on the manage page: the real app, the real
// database, and arXiv replaced by its recorded id_list answer on a local server.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArxivLookup } from "../../src/sources/arxiv.ts";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.ts";
import { FIXTURES_DIR } from "../helpers/fixtures.ts";
import { addSampleReader, openForm, postForm, startTestApp, type TestApp } from "../helpers/web-app.ts";

const seedFile = (name: string) => readFileSync(`${FIXTURES_DIR}/seed/${name}`, "utf8");
const ID_LIST = readFileSync(`${FIXTURES_DIR}/arxiv/arxiv-api-idlist-2025-11.xml`, "utf8");

let t: TestApp;
let arxiv: FixtureServer;
let token: string;
let subscriberId: number;

beforeAll(async () => {
  t = await startTestApp();
  arxiv = await startFixtureServer((url) => (url.pathname === "/api/query" ? { headers: { "content-type": "application/atom+xml" }, body: ID_LIST } : undefined));
  ({ subscriberId, token } = await addSampleReader(t));
});
afterAll(async () => {
  await t.close();
  await arxiv.close();
});

/** POSTs the upload form as a browser does: multipart/form-data with the file and the CSRF field. */
async function upload(name: string, text: string, form?: { cookie: string; csrf: string }) {
  const body = new FormData();
  if (form) body.append("_csrf", form.csrf);
  body.append("file", new Blob([text], { type: "application/octet-stream" }), name);
  return fetch(`${t.baseUrl}/manage/seed?token=${token}`, { method: "POST", body, headers: { cookie: form?.cookie ?? "", accept: "text/html" }, redirect: "manual" });
}

const topics = async () =>
  (await t.test.db.subscriberTopic.findMany({ where: { subscriberId }, include: { topic: true }, orderBy: { createdAt: "asc" } })).map((link) => `${link.topic.kind}:${link.topic.query}`);
const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, "")
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, " ");

describe("seeding topics from the manage page", () => {
  it("offers a multipart upload form with the CSRF field, usable without JavaScript", async () => {
    const { html, csrf } = await openForm(t.baseUrl, `/manage?token=${token}`);
    expect(html).toMatch(new RegExp(`<form method="post" action="/manage/seed\\?token=${token}" enctype="multipart/form-data"[^>]*>\\s*<input type="hidden" name="_csrf" value="${csrf}">`));
    expect(html).toContain('name="file" type="file"');
  });

  it("without an arXiv source: adds the ingested papers of a Zotero RIS export and reports the rest", async () => {
    const form = await openForm(t.baseUrl, `/manage?token=${token}`);
    const response = await upload("Exported Items.ris", seedFile("zotero.ris"), form);
    expect(response.status).toBe(200);
    const page = text(await response.text());
    expect(page).toContain("Added 3 papers as topics; 2 could not be used:");
    expect(page).toContain("Introduction to Information Retrieval: names no arXiv paper");
    expect(page).toContain("2201.13452: not ingested yet and no arXiv source is configured to fetch it");
    expect(await topics()).toEqual(["keyword:agents", "like:2605.12357", "like:2605.09530", "like:2605.10344"]);
    expect(arxiv.requests).toHaveLength(0);
  });

  it("with an arXiv source: fetches the missing paper by id_list, stores it under its publication day, and adds it", async () => {
    t.deps.lookupArxiv = createArxivLookup({ apiBaseUrl: `${arxiv.url}/api/query`, intervalMs: 0 });
    try {
      const form = await openForm(t.baseUrl, `/manage?token=${token}`);
      const response = await upload("Exported Items.bib", seedFile("zotero.bib"), form);
      expect(response.status).toBe(200);
      const page = text(await response.text());
      expect(page).toContain("Added 1 paper as topics; 3 you already follow; 1 could not be used:");
      expect(arxiv.requests.map((request) => request.path)).toEqual(["/api/query?id_list=2201.13452&max_results=1"]);
      const fetched = await t.test.db.paper.findUniqueOrThrow({ where: { arxivId: "2201.13452" } });
      expect(fetched).toMatchObject({ title: "Asymptotic Analysis for a Nonlinear Reaction-Diffusion System Modeling an Infectious Disease", source: "arxiv" });
      // Not today: an old paper must not turn up as new in today's digests.
      expect(fetched.featuredOn.toISOString().slice(0, 10)).toBe("2022-01-31");
      expect(await topics()).toEqual(["keyword:agents", "like:2605.12357", "like:2605.09530", "like:2605.10344", "like:2201.13452"]);
    } finally {
      t.deps.lookupArxiv = undefined;
    }
  });

  it("shows like topics by title with their id, and previews papers like them", async () => {
    const html = await (await fetch(`${t.baseUrl}/manage?token=${token}`)).text();
    expect(text(html)).toContain("like: δ-mem: Efficient Online Memory for Large Language Models (2605.12357)");
    expect(text(html)).toContain("like: Asymptotic Analysis for a Nonlinear Reaction-Diffusion System Modeling an Infectious Disease (2201.13452)");
    expect(html).toMatch(/<textarea id="keywords"[^>]*>agents\nlike:2605\.12357\nlike:2605\.09530\nlike:2605\.10344\nlike:2201\.13452<\/textarea>/);
    const preview = /<ol class="papers" id="preview-list">([\s\S]*?)<\/ol>/.exec(html)?.[1] ?? "";
    // Picks matched by a seed say which paper they are like.
    expect(text(preview)).toMatch(/papers like “(δ-mem|MemPrivacy|TMAS)/);
  });

  it("keeps the like topics when the preferences form is saved", async () => {
    const form = await openForm(t.baseUrl, `/manage?token=${token}`);
    const keywords = /<textarea id="keywords"[^>]*>([^<]*)<\/textarea>/.exec(form.html)?.[1] ?? "";
    const response = await postForm(
      `${t.baseUrl}/manage?token=${token}`,
      { _csrf: form.csrf, keywords, cadence: "daily", popularity: "balanced", timezone: "UTC", sendHour: "8", maxPapers: "5", pausedUntil: "" },
      form.cookie,
    );
    expect(response.status).toBe(303);
    expect(await topics()).toEqual(expect.arrayContaining(["like:2605.12357", "like:2201.13452"]));
  });

  it("a like: topic typed in the topics box is fetched from arXiv when saved, and then shown by title", async () => {
    await t.test.db.paper.delete({ where: { arxivId: "2201.13452" } });
    t.deps.lookupArxiv = createArxivLookup({ apiBaseUrl: `${arxiv.url}/api/query`, intervalMs: 0 });
    try {
      const form = await openForm(t.baseUrl, `/manage?token=${token}`);
      expect(text(form.html)).toContain("2201.13452 (not fetched yet)");
      const keywords = "agents\nlike:https://arxiv.org/abs/2201.13452v1";
      const response = await postForm(
        `${t.baseUrl}/manage?token=${token}`,
        { _csrf: form.csrf, keywords, cadence: "daily", popularity: "balanced", timezone: "UTC", sendHour: "8", maxPapers: "5", pausedUntil: "" },
        form.cookie,
      );
      expect(response.status).toBe(303);
      expect(arxiv.requests.at(-1)?.path).toBe("/api/query?id_list=2201.13452&max_results=1");
      const html = await (await fetch(`${t.baseUrl}/manage?token=${token}`)).text();
      expect(text(html)).toContain("like: Asymptotic Analysis for a Nonlinear Reaction-Diffusion System Modeling an Infectious Disease (2201.13452)");
      expect(await topics()).toEqual(["keyword:agents", "like:2201.13452"]);
    } finally {
      t.deps.lookupArxiv = undefined;
    }
  });

  it("adds a Mendeley export's papers after the other topics", async () => {
    const form = await openForm(t.baseUrl, `/manage?token=${token}`);
    const page = text(await (await upload("library.bib", seedFile("mendeley.bib"), form)).text());
    expect(page).toContain("Added 3 papers as topics.");
    expect(await topics()).toEqual(["keyword:agents", "like:2201.13452", "like:2605.10899", "like:2605.09063", "like:2605.12357"]);
  });

  it("rejects a cross-site post (no CSRF token) and changes nothing", async () => {
    const before = await topics();
    const response = await upload("ids.txt", "2605.12500\n");
    expect(response.status).toBe(403);
    expect(await topics()).toEqual(before);
  });

  it("names the problem of an unreadable file and changes nothing", async () => {
    const before = await topics();
    const form = await openForm(t.baseUrl, `/manage?token=${token}`);
    const response = await upload("letter.txt", "Dear reader,\nplease find my papers attached.\n", form);
    expect(response.status).toBe(400);
    expect(text(await response.text())).toContain('Nothing was added: line 1 is neither BibTeX, RIS, CSL-JSON nor an arXiv id or URL: "Dear reader,".');
    expect(await topics()).toEqual(before);
  });

  it("refuses a file over 1 MB before reading it", async () => {
    const form = await openForm(t.baseUrl, `/manage?token=${token}`);
    const response = await upload("huge.txt", `2605.12500\n${"#".repeat(1024 * 1024)}\n`, form);
    expect(response.status).toBe(400);
    expect(text(await response.text())).toMatch(/file too large/i);
  });
});
