// seedTopics against the real database: the topic limit, running twice, and arXiv down.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_FILES } from "../../src/cli/demo.ts";
import { createArxivLookup } from "../../src/sources/arxiv.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { MAX_PAPER_TOPICS, seedTopics } from "../../src/subscriptions/seed-topics.ts";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.ts";

let test: TestDatabase;
let arxiv: FixtureServer;
let ids: string[];

beforeAll(async () => {
  test = await createTestDatabase();
  arxiv = await startFixtureServer(() => ({ status: 503, body: "Service Unavailable" }));
  await ingestBatch(test.db, await createJsonFileSource(SAMPLE_FILES).fetchPapers());
  ids = (await test.db.paper.findMany({ orderBy: { id: "asc" }, select: { arxivId: true } })).map((paper) => paper.arxivId);
});
afterAll(async () => {
  await test.drop();
  await arxiv.close();
});

describe("seedTopics", () => {
  it(`adds papers up to ${MAX_PAPER_TOPICS} like: topics and reports the rest, keeping the other topics`, async () => {
    const followed = ids.slice(0, MAX_PAPER_TOPICS - 1).map((id) => `like:${id}`);
    const ada = await addSubscriber(test.db, { email: "ada@example.org", topics: ["agents", ...followed], source: "cli" }, new Date());
    const file = ids.slice(MAX_PAPER_TOPICS - 2, MAX_PAPER_TOPICS + 2).join("\n");
    const result = await seedTopics({ db: test.db }, ada, file);
    expect(result.added.map((paper) => paper.arxivId)).toEqual([ids[MAX_PAPER_TOPICS - 1]]);
    expect(result.alreadyFollowed.map((paper) => paper.arxivId)).toEqual([ids[MAX_PAPER_TOPICS - 2]]);
    expect(result.unresolved).toEqual(
      [ids[MAX_PAPER_TOPICS], ids[MAX_PAPER_TOPICS + 1]].map((id) => ({
        entry: expect.stringContaining(`(${id})`),
        reason: `not added: at most ${MAX_PAPER_TOPICS} papers as topics and 50 topics in all per subscriber`,
      })),
    );
    expect(result.subscriber.topics).toHaveLength(MAX_PAPER_TOPICS + 1);
    expect(result.subscriber.topics[0]).toEqual({ kind: "keyword", query: "agents" });
  });

  it("is safe to run twice: the second run adds nothing", async () => {
    const eve = await addSubscriber(test.db, { email: "eve@example.org", topics: [], source: "cli" }, new Date());
    const file = ids.slice(0, 3).join("\n");
    const first = await seedTopics({ db: test.db }, eve, file);
    const second = await seedTopics({ db: test.db }, first.subscriber, file);
    expect(first.added).toHaveLength(3);
    expect(second).toMatchObject({ added: [], unresolved: [] });
    expect(second.alreadyFollowed).toHaveLength(3);
    expect(second.subscriber.topics).toEqual(first.subscriber.topics);
  });

  it("arXiv down: the unknown papers are reported with the cause, the known ones still added", async () => {
    const bob = await addSubscriber(test.db, { email: "bob@example.org", topics: [], source: "cli" }, new Date());
    const lookupArxiv = createArxivLookup({ apiBaseUrl: `${arxiv.url}/api/query`, intervalMs: 0, retries: 0, sleep: async () => {} });
    const result = await seedTopics({ db: test.db, lookupArxiv }, bob, `${ids[0]}\n2201.13452\n`);
    expect(result.added.map((paper) => paper.arxivId)).toEqual([ids[0]]);
    expect(result.unresolved).toEqual([{ entry: "2201.13452", reason: expect.stringMatching(/^could not be fetched from arXiv: .*503/) }]);
    expect(await test.db.paper.count({ where: { arxivId: "2201.13452" } })).toBe(0);
  });
});
