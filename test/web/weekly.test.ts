// Weekly digests on the web: "view in browser" and the feed work for weekly keys,
// and the manage page's preview uses exactly the window the next digest will use.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_FILES } from "../../src/cli/demo.ts";
import { processBatch, type CandidateCache } from "../../src/digest/worker.ts";
import { runTick } from "../../src/digest/tick.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { signToken } from "../../src/subscriptions/tokens.ts";
import { startTestApp, TEST_SECRET, type TestApp } from "../helpers/web-app.ts";

let t: TestApp;
const clock = { now: new Date("2026-05-14T12:00:00Z") }; // Thursday of ISO week 20
let subscriber: { id: number; tokenVersion: number };
const cache: CandidateCache = new Map();

beforeAll(async () => {
  t = await startTestApp({ now: () => clock.now });
  await ingestBatch(t.test.db, await createJsonFileSource(SAMPLE_FILES).fetchPapers());
  subscriber = await addSubscriber(t.test.db, { email: "weekly@example.org", topics: ["agents"], maxPapers: 5, source: "cli" }, clock.now);
  await t.test.db.subscriber.update({ where: { id: subscriber.id }, data: { cadence: "weekly" } });
});
afterAll(async () => {
  await t.close();
});

const tick = () => runTick({ db: t.test.db, log: t.deps.log, now: t.deps.now, sources: [], enqueue: async (batch) => (await processBatch(t.deps, batch, cache), true) });
const manageToken = () => signToken(TEST_SECRET, "manage", { subscriberId: subscriber.id, tokenVersion: subscriber.tokenVersion }, clock.now);
type Preview = { digestKey: string; date: string; since: string; until: string; summary: string; picks: Array<{ paperId: number }> };
const preview = async (body: Record<string, unknown> = {}) =>
  (await (
    await fetch(`${t.baseUrl}/api/preview`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${manageToken()}` }, body: JSON.stringify(body) })
  ).json()) as Preview;

describe("weekly digests", () => {
  it("previews this week's digest over the whole week, and a daily one over its day", async () => {
    expect(await preview()).toMatchObject({ digestKey: "weekly:2026-W20", date: "2026-05-14", since: "2026-05-07", until: "2026-05-14" });
    expect(await preview({ cadence: "daily" })).toMatchObject({ digestKey: "daily:2026-05-14", since: "2026-05-13", until: "2026-05-14" });
  });

  it("shows a sent weekly digest in the browser and in the feed", async () => {
    await tick();
    const mail = t.sink.messages.find((message) => message.to.includes("weekly@example.org"));
    expect(mail).toBeDefined();
    const [view] = t.linksIn(mail!, "/digests/weekly%3A2026-W20");
    expect(view).toBeDefined();
    const page = await fetch(view!);
    expect(page.status).toBe(200);
    const html = await page.text();
    const sent = await t.test.db.delivery.findFirstOrThrow({ where: { subscriberId: subscriber.id } });
    expect(sent).toMatchObject({ digestKey: "weekly:2026-W20", status: "sent" });
    for (const paper of await t.test.db.paper.findMany({ where: { id: { in: sent.paperIds } } })) expect(html).toContain(paper.arxivId);

    const feedUrl = new URL(view!);
    const feed = await (await fetch(`${t.baseUrl}/feed.atom?token=${feedUrl.searchParams.get("token")}`)).text();
    expect(feed).toContain(`${sent.paperIds.length} papers · week 20 of 2026`);
    expect((await fetch(`${t.baseUrl}/digests/weekly%3A2026-W99?token=${feedUrl.searchParams.get("token")}`)).status).toBe(400);
  });

  it("previews next week's digest with the very papers that digest then sends", async () => {
    const next = await preview();
    expect(next).toMatchObject({ digestKey: "weekly:2026-W21", date: "2026-05-18", since: "2026-05-13", until: "2026-05-18" });
    clock.now = new Date("2026-05-18T09:00:00Z");
    await tick();
    const sent = await t.test.db.delivery.findUniqueOrThrow({ where: { subscriberId_digestKey: { subscriberId: subscriber.id, digestKey: "weekly:2026-W21" } } });
    expect(sent.status).toBe("sent");
    expect(sent.paperIds).toEqual(next.picks.map((pick) => pick.paperId));
  });
});
