// 👍 / 👎 and "less of this topic" from a real digest's links: GET asks, POST
// records, and the next digest changes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_FILES } from "../../src/cli/demo.ts";
import { previewTopics } from "../../src/digest/preview.ts";
import { runDigest } from "../../src/digest/run-digest.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { signToken } from "../../src/subscriptions/tokens.ts";
import { documentTerms } from "../../src/matching/corpus.ts";
import { openForm, postForm, startTestApp, TEST_SECRET, type TestApp } from "../helpers/web-app.ts";

let t: TestApp;
let links: string[];
let subscriberId: number;

beforeAll(async () => {
  t = await startTestApp();
  await ingestBatch(t.test.db, await createJsonFileSource(SAMPLE_FILES).fetchPapers());
  subscriberId = (await addSubscriber(t.test.db, { email: "ada@example.org", topics: ['"video generation"', "agents"], maxPapers: 6, source: "cli" }, new Date())).id;
  await runDigest({ ...t.deps, lookbackDays: 2 }, { date: "2026-05-13" });
  links = t.linksIn(t.sink.messages.find((message) => message.to.includes("ada@example.org"))!, "/feedback");
});
afterAll(async () => {
  await t.close();
});

const preview = async () =>
  (
    await previewTopics(t.deps, {
      subscriberId,
      topics: [
        { kind: "phrase", query: "video generation" },
        { kind: "keyword", query: "agents" },
      ],
      maxPapers: 6,
      schedule: { cadence: "daily", timezone: "UTC", pausedUntil: null },
    })
  ).picks.map((pick) => pick.title);

describe("feedback from the email", () => {
  it("puts 👍 / 👎 links under every paper and a 'less of' link per topic", () => {
    expect(links.filter((link) => link.includes("vote=up"))).toHaveLength(6);
    expect(links.filter((link) => link.includes("vote=down"))).toHaveLength(6);
    expect(links.filter((link) => link.includes("vote=less")).map((link) => decodeURIComponent(new URL(link).searchParams.get("topic")!))).toEqual(['"video generation"', "agents"]);
  });

  it("asks on GET and changes nothing (link scanners prefetch)", async () => {
    const response = await fetch(links.find((link) => link.includes("vote=down"))!);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/Fewer papers like “.+”\?/);
    expect(await t.test.db.feedback.count()).toBe(0);
  });

  it("records votes on POST, and the next digest changes", async () => {
    const before = await preview();
    const videoPapers = await t.test.db.paper.findMany({ where: { title: { contains: "Video" } }, select: { arxivId: true } });
    const votes = links.filter((link) => link.includes("vote=down") && videoPapers.some((paper) => link.includes(paper.arxivId)));
    expect(votes.length).toBeGreaterThan(0);
    for (const link of votes) expect((await fetch(link, { method: "POST" })).status).toBe(200);
    const lessVideo = links.find((link) => link.includes("vote=less") && link.includes("video"))!;
    // The question quotes the phrase once (it said “"video generation"”).
    expect(await (await fetch(lessVideo)).text()).toContain("Show less of “video generation”?");
    expect((await fetch(lessVideo, { method: "POST" })).status).toBe(200);
    expect(await t.test.db.feedback.count({ where: { vote: -1 } })).toBe(votes.length);
    expect((await t.test.db.subscriberTopic.findFirstOrThrow({ where: { subscriberId, topic: { query: "video generation" } } })).weight).toBe(0.5);

    const after = await preview();
    expect(after).not.toEqual(before);
    // What left the digest is like what was disliked (shares its words), or came from the topic now counted less.
    const disliked = await t.test.db.feedback.findMany({ where: { vote: -1 }, include: { paper: true } });
    const dislikedTerms = new Set(disliked.flatMap(({ paper }) => [...documentTerms(paper)]));
    const dropped = before.filter((title) => !after.includes(title));
    expect(dropped.length).toBeGreaterThan(0);
    for (const title of dropped) {
      const paper = await t.test.db.paper.findFirstOrThrow({ where: { title } });
      const text = `${paper.title} ${paper.abstract} ${paper.aiKeywords.join(" ")}`.toLowerCase();
      expect(text.includes("video generation") || [...documentTerms({ title, abstract: "", aiKeywords: [] })].some((term) => dislikedTerms.has(term)), title).toBe(true);
    }
  });

  it("shows what was learned on the manage page and can forget it", async () => {
    const token = signToken(TEST_SECRET, "manage", { subscriberId, tokenVersion: 1 }, new Date());
    const html = await (await fetch(`${t.baseUrl}/manage?token=${token}`)).text();
    expect(html).toMatch(/From \d+ votes?:\s+less like <strong>[^<]+<\/strong>/);
    expect(html).toContain("Counting less: <strong>&quot;video generation&quot;</strong>");
    const form = await openForm(t.baseUrl, `/manage?token=${token}`);
    expect((await postForm(`${t.baseUrl}/manage/reset-learning?token=${token}`, {})).status).toBe(403);
    const reset = await postForm(`${t.baseUrl}/manage/reset-learning?token=${token}`, { _csrf: form.csrf }, form.cookie);
    expect(reset.status).toBe(303);
    expect(await t.test.db.feedback.count()).toBe(0);
    expect((await t.test.db.subscriberTopic.findFirstOrThrow({ where: { subscriberId, topic: { query: "video generation" } } })).weight).toBe(1);
  });

  it("refuses a forged or incomplete feedback link", async () => {
    expect((await fetch(`${t.baseUrl}/feedback?token=1.1.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&paper=2605.13724&vote=up`, { method: "POST" })).status).toBe(400);
    const base = links[0]!.replace(/&paper=[^&]+&vote=\w+/, "");
    expect((await fetch(`${base}&vote=sideways`)).status).toBe(400);
    expect((await fetch(`${base}&paper=9999.99999&vote=up`)).status).toBe(404);
    expect(await t.test.db.feedback.count()).toBe(0);
  });
});
