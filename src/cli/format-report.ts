// Human-readable run report for the CLI.
import type { RunReport } from "../digest/run-digest.ts";
import type { RunSummary } from "../digest/runs.ts";

/** Per subscriber: what was sent and why each paper matched, or why nothing was. */
export function formatRunReport(report: RunReport, options: { picksShown?: number } = {}): string {
  const shown = options.picksShown ?? 10;
  const lines: string[] = [];
  const mode = report.dryRun ? " (dry run: nothing sent or recorded)" : "";
  for (const digest of report.digests) {
    lines.push(
      `Digest ${digest.key}${mode}: ${digest.candidatePapers} ${digest.candidatePapers === 1 ? "paper" : "papers"} listed ${digest.since}..${digest.until} (each subscriber gets the days their cadence covers), ${digest.distinctTopics} distinct ${digest.distinctTopics === 1 ? "topic" : "topics"}`,
    );
  }
  if (report.digests.length === 0) lines.push(`Digests of ${report.date}${mode}`);
  for (const outcome of report.outcomes) {
    const verb = { sent: "sent", planned: "would get", skipped: "skipped", failed: "FAILED", deferred: "deferred" }[outcome.status];
    const count = outcome.picks.length;
    const head = outcome.status === "sent" || outcome.status === "planned" ? `${verb} ${count} paper${count === 1 ? "" : "s"}` : `${verb}: ${outcome.reason}`;
    lines.push("", `  ${outcome.email} — ${head}${outcome.possibleDuplicate ? " (possible duplicate of an earlier attempt)" : ""}`);
    if (outcome.status === "skipped") continue;
    outcome.picks.slice(0, shown).forEach((pick, index) => {
      lines.push(`    ${String(index + 1).padStart(2)}. [${pick.arxivId}] ${truncate(pick.title, 90)}`);
      lines.push(`        ${pick.reason} (score ${pick.score.toFixed(2)})`);
    });
    if (count > shown) lines.push(`        … and ${count - shown} more`);
  }
  const { counts } = report;
  if (report.outcomesOmitted > 0) lines.push("", `  … and ${report.outcomesOmitted} more subscribers (paperboy run --json lists them all)`);
  lines.push("");
  const before = describeEarlier(counts.alreadySent, counts.alreadySkipped);
  if (counts.due === 0 && before) {
    lines.push(`Nothing new to send for ${report.date}: ${before}.`);
  } else {
    const planned = report.dryRun ? `would send ${counts.planned}, ` : `sent ${counts.sent}, `;
    lines.push(
      `${capitalise(planned)}skipped ${counts.skipped}, failed ${counts.failed}${counts.deferred ? `, deferred ${counts.deferred}` : ""}${before ? `; before this run ${before}` : ""}` +
        (counts.suppressed > 0 ? `; ${counts.suppressed} suppressed` : "") +
        ` (${report.durationMs} ms).`,
    );
  }
  if (report.embeddings) lines.push(`Note: ${report.embeddings}.`);
  if (report.alert) lines.push(`ALERT: ${report.alert}`);
  return lines.join("\n");
}

/** "3 already sent it; 2 were skipped (nothing matched, and no papers arrived since)", or "" when both are 0. */
function describeEarlier(sent: number, skipped: number): string {
  const parts = [];
  if (sent > 0) parts.push(`${sent} subscriber${sent === 1 ? " was" : "s were"} already sent it`);
  if (skipped > 0)
    parts.push(`${skipped} ${sent > 0 ? "" : `subscriber${skipped === 1 ? "" : "s"} `}${skipped === 1 ? "was" : "were"} skipped (nothing to send, and no papers have been ingested since)`);
  return parts.join("; ");
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

type StoredReport = {
  /** Runs before the planner was shared stored one key. */
  digestKey?: string;
  digests?: Array<{ key: string }>;
  counts?: Partial<RunReport["counts"]>;
  ingest?: Array<Record<string, unknown>>;
  due?: number;
  batches?: number;
  enqueued?: number;
  error?: string;
  alert?: string;
  embeddings?: string;
};

/**
 * One run for `paperboy runs`: what it was for, and its counts as the run itself
 * recorded them (a digest run's own report outlives the ledger rows it wrote); a
 * tick, whose workers send later, shows its ledger rows as they are now.
 */
export function formatRunSummary(run: RunSummary): string {
  const report = (run.report ?? {}) as StoredReport;
  const took = run.durationMs !== null ? `${run.durationMs} ms` : run.state === "died" ? "died" : "running";
  const keys = report.digests?.map((digest) => digest.key).join(", ") || report.digestKey;
  const what = keys ?? `day ${run.digestDate}`;
  const d = run.deliveries;
  const counts = report.counts
    ? `sent ${report.counts.sent ?? 0}, skipped ${report.counts.skipped ?? 0}, failed ${report.counts.failed ?? 0}${report.counts.deferred ? `, deferred ${report.counts.deferred}` : ""}${run.dryRun ? " (dry run)" : ""}` +
      (report.counts.alreadySent || report.counts.alreadySkipped ? ` (before it: ${report.counts.alreadySent ?? 0} already sent, ${report.counts.alreadySkipped ?? 0} skipped)` : "")
    : `ledger now: sent ${d.sent}, failed ${d.failed}, skipped ${d.skipped}, in flight ${d.sending}`;
  const lines = [`#${run.id} ${run.kind.padEnd(6)} ${what.padEnd(18)} ${run.startedAt.toISOString()} ${took.padStart(10)}  ${counts}, possible duplicates ${d.possibleDuplicates}`];
  for (const source of report.ingest ?? []) lines.push(`      source ${JSON.stringify(source)}`);
  if (report.due !== undefined) lines.push(`      due ${report.due}${report.batches !== undefined ? `, ${report.batches} batches (${report.enqueued ?? 0} enqueued)` : ""}`);
  if (report.error) lines.push(`      error: ${report.error}`);
  for (const source of report.ingest ?? [])
    if (typeof source.embeddingsError === "string") lines.push(`      embeddings unavailable for ${String(source.source)}'s papers (${source.embeddingsError}): embedded later`);
  if (report.embeddings) lines.push(`      ${report.embeddings}`);
  if (report.alert) lines.push(`      ALERT: ${report.alert}`);
  return lines.join("\n");
}
