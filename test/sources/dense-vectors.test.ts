// Dense embeddings on the real database and a local /v1/embeddings server: paper
// vectors stored once at ingest, a topic found in a paper that shares none of its
// words, and the lexical ranking (with the report line) when the server is down.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createOutboxMailer } from "../../src/delivery/outbox-mailer.ts";
import { loadCandidates } from "../../src/sources/candidates.ts";
import { embedTopics } from "../../src/sources/dense-vectors.ts";
import { describePicks, pickPapers } from "../../src/matching/candidates.ts";
import { describeDenseFallback } from "../../src/matching/fuse-dense.ts";
import { formatRunReport, formatRunSummary } from "../../src/cli/format-report.ts";
import { listRuns } from "../../src/digest/runs.ts";
import { runTick } from "../../src/digest/tick.ts";
import { runDigest } from "../../src/digest/run-digest.ts";
import type { RunDeps } from "../../src/digest/run-deps.ts";
import { silentLog } from "../../src/log.ts";
import { MIN_RELEVANCE } from "../../src/matching/rank.ts";
import { parseTopic } from "../../src/matching/topics.ts";
import { loadTemplates } from "../../src/rendering/templates.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createOpenAiEmbedder } from "../../src/sources/openai-embedder.ts";
import type { PaperInput } from "../../src/sources/source.ts";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { startEmbeddingsServer, type EmbeddingsServer } from "../helpers/embeddings-server.ts";

const DAY = "2026-05-14";
const WINDOW = { since: DAY, until: DAY };
/** Says "robot arms" in other words: the fake model maps gripper, grasping and manipulator to robotics. */
const GRIPPER = "2605.20001";
const ARMS = "2605.20002";
const OTHERS = [
  "language model reasoning",
  "speech recognition",
  "image segmentation",
  "protein folding",
  "weather forecasting",
  "code generation",
  "graph neural networks",
  "music generation",
  "table question answering",
  "video captioning",
  "machine translation",
  "fraud detection",
];
const papers: PaperInput[] = [
  {
    arxivId: GRIPPER,
    title: "Learning a dexterous gripper from human demonstrations",
    abstract: "A manipulator learns grasping of household objects from video.",
    authors: ["R. Hand"],
    aiKeywords: [],
    featuredOn: DAY,
  },
  // About robot arms in those words, sharing no word with the gripper paper: like:GRIPPER finds it only by meaning.
  { arxivId: ARMS, title: "Robotic arms for furniture assembly", abstract: "Robotic arms assemble furniture in simulation.", authors: ["R. Arm"], aiKeywords: [], featuredOn: DAY },
  ...OTHERS.map((subject, i) => ({
    arxivId: `2605.${30001 + i}`,
    title: `Better ${subject} with transformers`,
    abstract: `We study ${subject} on public benchmarks.`,
    authors: ["A. Author"],
    aiKeywords: [],
    featuredOn: DAY,
  })),
];

let test: TestDatabase;
let server: EmbeddingsServer;
let paperId: number;
const embedder = () => createOpenAiEmbedder({ url: server.url, model: "fake-embed" });
const robotArms = { topics: [parseTopic("robot arms")], maxPapers: 10 };

beforeAll(async () => {
  test = await createTestDatabase();
  server = await startEmbeddingsServer();
  const result = await ingestBatch(test.db, { source: "file", papers, rejected: [] }, { embedder: embedder() });
  expect(result.embeddings).toEqual({ embedded: papers.length });
  paperId = (await test.db.paper.findUniqueOrThrow({ where: { arxivId: GRIPPER } })).id;
});
afterAll(async () => {
  await server.close();
  await test.drop();
});
beforeEach(() => server.setMode("up"));

describe("paper vectors", () => {
  it("are stored once at ingest, with their model: a second ingest asks the server nothing", async () => {
    const stored = await test.db.paper.findMany({ select: { embedding: true, embeddingModel: true } });
    expect(stored.every((paper) => paper.embeddingModel === "fake-embed" && paper.embedding?.length === 256 * 4)).toBe(true);
    expect(server.inputs()).toHaveLength(papers.length);
    expect(server.inputs()).toContain(`${papers[0]!.title}\n${papers[0]!.abstract}`);
    const before = server.requests.length;
    const again = await ingestBatch(test.db, { source: "file", papers, rejected: [] }, { embedder: embedder() });
    expect(again.embeddings).toEqual({ embedded: 0 });
    expect(server.requests.length).toBe(before);
  });

  it("are left for later when the server is down, and the ingest still succeeds", async () => {
    server.setMode("down");
    const late = { arxivId: "2605.40001", title: "Late paper", abstract: "Arrived while the server was down.", authors: ["L. Ate"], aiKeywords: [], featuredOn: "2026-05-13" };
    const result = await ingestBatch(test.db, { source: "file", papers: [late], rejected: [] }, { embedder: embedder() });
    expect(result.created).toBe(1);
    expect(result.embeddings?.embedded).toBe(0);
    expect(result.embeddings?.error).toMatch(/answered HTTP 503 Service Unavailable/);
    expect((await test.db.paper.findUniqueOrThrow({ where: { arxivId: late.arxivId } })).embedding).toBeNull();
    const stale = await loadCandidates(test.db, { since: late.featuredOn, until: late.featuredOn }, robotArms.topics, embedder());
    expect(describeDenseFallback(stale)).toMatch(/^embeddings unavailable \(1 of 1 papers have no vector from fake-embed: .*HTTP 503.*\): lexical ranking used$/);
    server.setMode("up");
    expect((await ingestBatch(test.db, { source: "file", papers: [], rejected: [] }, { embedder: embedder() })).embeddings).toEqual({ embedded: 1 });
  });
});

describe("a tick with the embeddings server down", () => {
  it("ingests, and records in the run that the new papers wait for their vectors", async () => {
    server.setMode("down");
    const fresh = { arxivId: "2605.40002", title: "Tick paper", abstract: "Arrived at a tick.", authors: ["T. Ick"], aiKeywords: [], featuredOn: "2026-05-12" };
    const source = { name: "file", fetchPapers: async () => ({ source: "file", papers: [fresh], rejected: [] }) };
    const now = new Date("2026-05-12T06:00:00Z");
    const report = await runTick({ db: test.db, log: silentLog, now: () => now, sources: [source], embedder: embedder(), enqueue: async () => true });
    expect(report.ingest).toEqual([expect.objectContaining({ status: "ok", created: 1, embeddingsError: expect.stringMatching(/HTTP 503/) })]);
    const [stored] = await listRuns(test.db, 1, now);
    expect(formatRunSummary(stored!)).toMatch(/embeddings unavailable for file's papers \(.*HTTP 503.*\): embedded later/);
    server.setMode("up");
    expect((await ingestBatch(test.db, { source: "file", papers: [], rejected: [] }, { embedder: embedder() })).embeddings).toEqual({ embedded: 1 });
  });
});

describe("matching with embeddings", () => {
  it("finds a paper about the topic that shares none of its words, by meaning", async () => {
    const lexical = await loadCandidates(test.db, WINDOW, robotArms.topics);
    expect(pickPapers(lexical, robotArms, new Set()).map((pick) => pick.paperId)).not.toContain(paperId);

    const requests = server.requests.length;
    const dense = await loadCandidates(test.db, WINDOW, robotArms.topics, embedder());
    expect(describeDenseFallback(dense)).toBeUndefined();
    expect(server.requests.slice(requests).flatMap((request) => request.input)).toEqual(["robot arms"]); // the topic, once; the papers were embedded at ingest
    const picks = describePicks(pickPapers(dense, robotArms, new Set()));
    // The paper that says "robotic arms" first: similarity alone never outranks the topic's own words.
    expect(picks.map((pick) => pick.arxivId)).toEqual([ARMS, GRIPPER]);
    expect(picks[1]!.relevance).toBeGreaterThanOrEqual(MIN_RELEVANCE);
    expect(picks[1]!.reason).toMatch(/^Matched “robot arms” by meaning \(embedding similarity 0\.\d\d\)$/);
  });

  it("embeds topics first met after loading (a worker's candidates) before they are matched", async () => {
    const candidates = await loadCandidates(test.db, WINDOW, [], embedder());
    await embedTopics(candidates, robotArms.topics);
    expect(describePicks(pickPapers(candidates, robotArms, new Set())).map((pick) => pick.arxivId)).toEqual([ARMS, GRIPPER]);
    const requests = server.requests.length;
    await embedTopics(candidates, robotArms.topics);
    expect(server.requests.length).toBe(requests);
  });

  it("finds papers like a paper by the meaning of its stored vector", async () => {
    const like = { topics: [parseTopic(`like:${GRIPPER}`)], maxPapers: 10 };
    const lexical = await loadCandidates(test.db, WINDOW, like.topics);
    expect(describePicks(pickPapers(lexical, like, new Set())).map((pick) => pick.arxivId)).not.toContain(ARMS);
    const requests = server.requests.length;
    const dense = await loadCandidates(test.db, WINDOW, like.topics, embedder());
    expect(server.requests.length).toBe(requests); // the seed's vector is the stored one
    const picks = describePicks(pickPapers(dense, like, new Set()));
    expect(picks.find((pick) => pick.arxivId === ARMS)?.reason).toMatch(/^Matched papers like “Learning a dexterous gripper from human demonstrations” by meaning/);
  });

  it("keeps exact topics exact: a quoted phrase or an author is not matched by meaning", async () => {
    const [phrase, author] = [parseTopic('"robot arms"'), parseTopic("author:Nobody")];
    const candidates = await loadCandidates(test.db, WINDOW, [phrase, author], embedder());
    expect(describePicks(pickPapers(candidates, { topics: [phrase], maxPapers: 10 }, new Set())).map((pick) => pick.arxivId)).toEqual([ARMS]);
    expect(pickPapers(candidates, { topics: [author], maxPapers: 10 }, new Set())).toEqual([]);
  });

  it("falls back to the lexical ranking when the server is down, and says so", async () => {
    server.setMode("down");
    const candidates = await loadCandidates(test.db, WINDOW, robotArms.topics, embedder());
    expect(pickPapers(candidates, robotArms, new Set()).map((pick) => pick.paperId)).not.toContain(paperId);
    expect(describeDenseFallback(candidates)).toMatch(
      /^embeddings unavailable \(embeddings server http:\/\/127\.0\.0\.1:\d+\/v1\/embeddings answered HTTP 503 Service Unavailable: .*\): lexical ranking used$/,
    );
  });

  it("puts the fallback in the run report", async () => {
    const outbox = await mkdtemp(path.join(tmpdir(), "paperboy-dense-"));
    const now = new Date(`${DAY}T12:00:00Z`);
    await addSubscriber(test.db, { email: "robots@example.org", topics: ["robot arms"], maxPapers: 5, source: "demo" }, now);
    const deps: RunDeps = {
      db: test.db,
      mailer: createOutboxMailer(outbox),
      templates: await loadTemplates(),
      log: silentLog,
      now: () => now,
      mail: { secret: "dense-secret-".padEnd(40, "x"), publicUrl: "https://paperboy.example", from: "paperboy <digest@paperboy.example>", listName: "paperboy" },
      lookbackDays: 2,
      embedder: embedder(),
    };
    try {
      const found = await runDigest(deps, { date: DAY, dryRun: true });
      expect(found.embeddings).toBeUndefined();
      expect(found.outcomes.map((outcome) => outcome.picks.map((pick) => pick.arxivId))).toEqual([[ARMS, GRIPPER]]);
      server.setMode("down");
      const report = await runDigest(deps, { date: DAY, dryRun: true });
      expect(report.outcomes.map((outcome) => outcome.picks.map((pick) => pick.arxivId))).toEqual([[ARMS]]);
      expect(formatRunReport(report)).toMatch(/\nNote: embeddings unavailable \(.*HTTP 503.*\): lexical ranking used\.$/m);
    } finally {
      await rm(outbox, { recursive: true, force: true });
    }
  });
});
