// `paperboy demo`: the whole pipeline on the bundled sample of real Hugging Face
// Daily Papers, with a few demo subscribers. The CLI gives it the outbox mailer.
import { rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { RunDeps } from "../digest/run-deps.ts";
import { runDigest, type RunReport } from "../digest/run-digest.ts";
import { ingestBatch, type IngestResult } from "../sources/ingest.ts";
import { createJsonFileSource } from "../sources/json-file.ts";
import { addSubscriber, deleteSubscribersByEmail, existingEmails } from "../subscriptions/store.ts";

const SAMPLE_DIR = fileURLToPath(new URL("../../data/sample", import.meta.url));
export const SAMPLE_FILES = ["2026-05-12", "2026-05-13", "2026-05-14"].map((day) => path.join(SAMPLE_DIR, `hf-daily-${day}.json`));
/** The newest listing day in the sample. */
export const DEMO_DATE = "2026-05-14";

export const DEMO_SUBSCRIBERS = [
  { email: "ada@example.org", topics: ["agents"], maxPapers: 5 },
  { email: "grace@example.org", topics: ["diffusion video", '"video generation"'], maxPapers: 5 },
  { email: "alan@example.org", topics: ["reinforcement learning"], maxPapers: 5 },
  { email: "katherine@example.org", topics: [], maxPapers: 5 },
  { email: "marie@example.org", topics: ['"protein folding"'], maxPapers: 5 },
];

export type DemoResult = { ingest: IngestResult; created: number; report: RunReport; outbox: string };

/**
 * Ingests the sample, creates the demo subscribers that do not exist yet and runs
 * the digest for DEMO_DATE. Running it again sends nothing new (the ledger has
 * it); `reset` first deletes the demo subscribers, their ledger rows and their emails.
 * No thumbnails are fetched: like its sources, the demo asks nothing of the network.
 */
export async function runDemo(ctx: RunDeps & { outboxDir: string }, options: { reset?: boolean } = {}): Promise<DemoResult> {
  const emails = DEMO_SUBSCRIBERS.map((subscriber) => subscriber.email);
  if (options.reset) {
    await deleteSubscribersByEmail(ctx.db, emails);
    await rm(path.join(ctx.outboxDir, DEMO_DATE), { recursive: true, force: true });
  }
  const ingest = await ingestBatch(ctx.db, await createJsonFileSource(SAMPLE_FILES).fetchPapers(), { embedder: ctx.embedder });

  const existing = await existingEmails(ctx.db, emails);
  const missing = DEMO_SUBSCRIBERS.filter((subscriber) => !existing.has(subscriber.email));
  for (const subscriber of missing) await addSubscriber(ctx.db, { ...subscriber, source: "demo" }, ctx.now());

  // Only the demo subscribers: real subscribers of this install are never mailed by the demo.
  const report = await runDigest(ctx, { date: DEMO_DATE, kind: "demo", onlyEmails: emails });
  return { ingest, created: missing.length, report, outbox: path.resolve(ctx.outboxDir, DEMO_DATE) };
}
