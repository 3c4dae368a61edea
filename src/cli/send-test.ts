// `paperboy send-test <email>`: one real digest-shaped message (the digest
// template, its headers, five papers of the bundled sample) through the mailer
// the configuration picks, to check SMTP settings before the first run. Nothing
// is written to the database: the message is no subscriber's digest.
import { composeFor } from "../digest/worker.ts";
import type { RunDeps } from "../digest/run-deps.ts";
import type { SendResult } from "../delivery/mailer.ts";
import { createJsonFileSource } from "../sources/json-file.ts";
import { normaliseEmail } from "../subscriptions/store.ts";
import { DEMO_DATE, SAMPLE_FILES } from "./demo.ts";

const TEST_PAPERS = 5;

export type SendTestResult = SendResult & { to: string; via: string; subject: string; bytes: number };

/** Sends the test message to `email`; throws the mailer's AppError (RECIPIENT_REJECTED, RELAY_REJECTED, SMTP_TEMPORARY, SMTP_UNAVAILABLE, …) when it fails. */
export async function sendTest(deps: Pick<RunDeps, "mailer" | "templates" | "mail" | "now">, email: string): Promise<SendTestResult> {
  const to = normaliseEmail(email);
  const { papers } = await createJsonFileSource([SAMPLE_FILES.at(-1)!]).fetchPapers();
  const entries = papers
    .sort((a, b) => (b.upvotes ?? 0) - (a.upvotes ?? 0))
    .slice(0, TEST_PAPERS)
    .map((paper) => ({
      paper: { ...paper, upvotes: paper.upvotes ?? 0, comments: paper.comments ?? 0, source: "hf" },
      reason: "A test of the mail settings of this instance: digests look like this",
    }));
  const now = deps.now();
  // Id 0: no subscriber's, so the message's own links (manage, unsubscribe, votes) say they are not valid.
  const message = composeFor(deps, { id: 0, email: to, tokenVersion: 0, textOnly: false, topics: [] }, { key: `test:${now.getTime()}`, date: DEMO_DATE, entries });
  const sent = { ...message, subject: `[test] ${message.subject}`, tag: "test" };
  const result = await deps.mailer.send(sent);
  return { ...result, to, via: deps.mailer.description, subject: sent.subject, bytes: Buffer.byteLength(sent.html) + Buffer.byteLength(sent.text) };
}
