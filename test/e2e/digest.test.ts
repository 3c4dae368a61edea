// The whole main path on real parts: ingest the bundled sample into PostgreSQL,
// run the digest, receive the emails on a real SMTP server, run again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_DATE, DEMO_SUBSCRIBERS, SAMPLE_FILES } from "../../src/cli/demo.ts";
import { createSmtpMailer } from "../../src/delivery/smtp-mailer.ts";
import { digestMessageId } from "../../src/rendering/compose-digest.ts";
import { runDigest, type RunReport } from "../../src/digest/run-digest.ts";
import type { RunDeps } from "../../src/digest/run-deps.ts";
import { silentLog } from "../../src/log.ts";
import { loadTemplates } from "../../src/rendering/templates.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { verifyToken } from "../../src/subscriptions/tokens.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { readHfDaily } from "../helpers/fixtures.ts";
import { rawHeader, startSmtpSink, type ReceivedMessage, type SmtpSink } from "../helpers/smtp-sink.ts";

let test: TestDatabase;
let sink: SmtpSink;
let deps: RunDeps;
let first: RunReport;
const secret = "e2e-secret-".padEnd(40, "x");
const now = new Date("2026-05-14T07:30:00Z");
const HOSTILE_ID = "2605.99999";

beforeAll(async () => {
  test = await createTestDatabase();
  sink = await startSmtpSink({ rejectRecipient: (address) => (address === "gone@example.org" ? 550 : undefined) });
  deps = {
    db: test.db,
    mailer: createSmtpMailer({ url: sink.url }),
    templates: await loadTemplates(),
    log: silentLog,
    now: () => now,
    mail: { secret, publicUrl: "https://paperboy.example", from: "paperboy <digest@paperboy.example>", listName: "paperboy" },
    lookbackDays: 2,
  };
  await ingestBatch(test.db, await createJsonFileSource(SAMPLE_FILES).fetchPapers());
  // A paper whose data tries to inject markup and a script link; popular enough to be picked.
  await test.db.paper.create({
    data: {
      arxivId: HOSTILE_ID,
      title: "<script>alert(1)</script> Agents & Co",
      abstract: "Agents everywhere.",
      authors: ["Eve"],
      upvotes: 500,
      githubUrl: "javascript:alert(document.cookie)",
      source: "hf",
      featuredOn: new Date("2026-05-14T00:00:00Z"),
    },
  });
  for (const subscriber of [...DEMO_SUBSCRIBERS, { email: "gone@example.org", topics: ["agents"], maxPapers: 5 }]) {
    await addSubscriber(test.db, { ...subscriber, source: "demo" }, now);
  }
  first = await runDigest(deps, { date: DEMO_DATE });
});

afterAll(async () => {
  await deps.mailer.close();
  await sink.close();
  await test.drop();
});

const window = [...readHfDaily("2026-05-13"), ...readHfDaily("2026-05-14")];
const textOf = (arxivId: string) => {
  const entry = window.find((candidate) => candidate.paper.id === arxivId);
  const paper = entry?.paper as { title: string; summary: string; ai_keywords?: string[] } | undefined;
  return paper ? `${paper.title} ${paper.summary} ${(paper.ai_keywords ?? []).join(" ")}`.toLowerCase() : "";
};
const mailTo = (email: string) => sink.messages.filter((message) => message.to.includes(email));
const outcomeOf = (email: string) => first.outcomes.find((outcome) => outcome.email === email)!;
const cards = (message: ReceivedMessage) => (String(message.parsed.html).match(/class="card"/g) ?? []).length;

describe("daily digest end to end", () => {
  it("sends each matched subscriber exactly one email and says why the others got none", () => {
    expect(first.counts).toMatchObject({ sent: 4, skipped: 1, failed: 1, alreadySent: 0, alreadySkipped: 0 });
    for (const email of ["ada@example.org", "grace@example.org", "alan@example.org", "katherine@example.org"]) {
      expect(mailTo(email)).toHaveLength(1);
    }
    expect(mailTo("marie@example.org")).toHaveLength(0);
    expect(outcomeOf("marie@example.org")).toMatchObject({ status: "skipped", reason: expect.stringContaining('"protein folding"') });
    expect(sink.messages).toHaveLength(4);
  });

  it("puts the picked papers, in order, with their reasons, into each email", () => {
    for (const outcome of first.outcomes.filter((candidate) => candidate.status === "sent")) {
      const [message] = mailTo(outcome.email);
      expect(cards(message!)).toBe(outcome.picks.length);
      expect(outcome.picks.length).toBe(5);
      const text = message!.parsed.text ?? "";
      const positions = outcome.picks.map((pick) => text.indexOf(pick.title));
      expect(positions.every((position) => position >= 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      for (const pick of outcome.picks) expect(text).toContain(pick.reason);
    }
  });

  it("matches by meaning of the topic words: each pick really is about the topic", () => {
    for (const pick of outcomeOf("grace@example.org").picks) {
      const text = textOf(pick.arxivId);
      expect(/video generation/.test(text) || (/diffusion/.test(text) && /video/.test(text))).toBe(true);
    }
    // The first pick has the phrase among its AI keywords, not only in passing (CausalCine and AnyFlow do).
    const keywordsOf = (arxivId: string) =>
      ((window.find((candidate) => candidate.paper.id === arxivId)?.paper as { ai_keywords?: string[] } | undefined)?.ai_keywords ?? []).map((keyword) => keyword.toLowerCase());
    console.log(JSON.stringify(outcomeOf("grace@example.org").picks.map((p) => [p.arxivId, p.title, p.relevance, p.score, p.reason])));
    expect(keywordsOf(outcomeOf("grace@example.org").picks[0]!.arxivId).some((keyword) => keyword.includes("video generation"))).toBe(true);
    // "reinforcement learning" also finds papers that only say RL (the synonym table), as a reader would want.
    for (const pick of outcomeOf("alan@example.org").picks) expect(textOf(pick.arxivId)).toMatch(/reinforcement learning|\brl\b/);
    for (const pick of outcomeOf("ada@example.org").picks) expect(pick.arxivId === HOSTILE_ID || /\bagents?\b/.test(textOf(pick.arxivId))).toBe(true);
  });

  it("gives the subscriber without topics the most upvoted papers of the window", () => {
    const byUpvotes = [...window].sort((a, b) => b.paper.upvotes - a.paper.upvotes).map((entry) => entry.paper.id);
    const picks = outcomeOf("katherine@example.org").picks;
    expect(picks[0]?.arxivId).toBe(HOSTILE_ID);
    // Upvotes lead; comments and GitHub stars can reorder close neighbours.
    for (const pick of picks.slice(1)) expect(byUpvotes.slice(0, 8)).toContain(pick.arxivId);
    expect(picks.map((pick) => pick.score)).toEqual([...picks.map((pick) => pick.score)].sort((a, b) => b - a));
  });

  it("escapes hostile titles and drops non-https links on the way to the inbox", () => {
    const [message] = mailTo("katherine@example.org");
    const html = String(message!.parsed.html);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; Agents &amp; Co");
    expect(html).not.toContain("<script>alert(1)");
    expect(html).not.toMatch(/javascript:/i);
  });

  it("sets a deterministic Message-ID, the list headers and working signed links", async () => {
    const ada = await test.db.subscriber.findUniqueOrThrow({ where: { email: "ada@example.org" } });
    const [message] = mailTo("ada@example.org");
    expect(message!.parsed.messageId).toBe(digestMessageId(ada.id, `daily:${DEMO_DATE}`, "paperboy.example"));
    const unsubscribe = rawHeader(message!.raw, "List-Unsubscribe")!;
    expect(rawHeader(message!.raw, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
    const token = /token=([^>]+)>/.exec(unsubscribe)![1]!;
    expect(verifyToken(secret, "unsubscribe", token, now)).toEqual({ subscriberId: ada.id, tokenVersion: 1 });
    expect(message!.parsed.text).toContain(`https://paperboy.example/unsubscribe?token=${token}`);
  });

  it("records every outcome in the ledger, including an SMTP refusal", async () => {
    const rows = await test.db.delivery.findMany({ include: { subscriber: true } });
    const byEmail = Object.fromEntries(rows.map((row) => [row.subscriber.email, row]));
    expect(byEmail["gone@example.org"]).toMatchObject({ status: "failed", errorClass: "RECIPIENT_REJECTED", nextAttemptAt: null });
    expect(byEmail["marie@example.org"]).toMatchObject({ status: "skipped" });
    expect(byEmail["ada@example.org"]).toMatchObject({ status: "sent", paperIds: expect.any(Array) });
    expect(await test.db.sentPaper.count()).toBe(20);
    const run = await test.db.run.findUniqueOrThrow({ where: { id: first.runId! } });
    expect(run.report).toMatchObject({ counts: { sent: 4, skipped: 1, failed: 1 } });
  });

  it("sends nothing the second time for the same date", async () => {
    const before = sink.messages.length;
    const again = await runDigest(deps, { date: DEMO_DATE });
    expect(sink.messages.length).toBe(before);
    expect(again.counts).toMatchObject({ sent: 0, failed: 0, alreadySent: 4, alreadySkipped: 1 });
    expect(again.outcomes).toEqual([]);
  });

  it("never sends the same paper twice: the next day's digest leaves out what went out today", async () => {
    const next = await runDigest(deps, { date: "2026-05-15" });
    for (const outcome of next.outcomes) {
      const sentBefore = first.outcomes.find((candidate) => candidate.email === outcome.email && candidate.status === "sent");
      const earlier = new Set(sentBefore?.picks.map((pick) => pick.paperId));
      for (const pick of outcome.picks) expect(earlier.has(pick.paperId)).toBe(false);
    }
    expect(next.outcomes.find((outcome) => outcome.email === "katherine@example.org")?.status).toBe("sent");
  });
});

describe("dry run", () => {
  it("plans without sending or writing anything", async () => {
    const before = { messages: sink.messages.length, deliveries: await test.db.delivery.count(), runs: await test.db.run.count() };
    const report = await runDigest(deps, { date: "2026-05-13", dryRun: true });
    expect(report.counts.planned).toBeGreaterThan(0);
    expect(report.outcomes.every((outcome) => outcome.status === "planned" || outcome.status === "skipped")).toBe(true);
    expect({ messages: sink.messages.length, deliveries: await test.db.delivery.count(), runs: await test.db.run.count() }).toEqual(before);
  });
});
