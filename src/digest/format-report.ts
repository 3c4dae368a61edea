// Human-readable run report for the CLI.
import type { RunReport } from "./run-digest.ts";

/** Per subscriber: what was sent and why each paper matched, or why nothing was. */
export function formatRunReport(report: RunReport, options: { picksShown?: number } = {}): string {
  const shown = options.picksShown ?? 10;
  const lines: string[] = [];
  const mode = report.dryRun ? " (dry run: nothing sent or recorded)" : "";
  lines.push(`Digest ${report.digestKey}${mode}: ${report.candidatePapers} papers featured ${report.since}..${report.date}, ${report.distinctTopics} distinct topics`);
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
  if (counts.due === 0 && counts.alreadyDone > 0) {
    lines.push(`Nothing new to send: ${counts.alreadyDone} subscriber${counts.alreadyDone === 1 ? " already has" : "s already have"} ${report.digestKey} in the ledger.`);
  } else {
    const planned = report.dryRun ? `would send ${counts.planned}, ` : `sent ${counts.sent}, `;
    lines.push(
      `${capitalise(planned)}skipped ${counts.skipped}, failed ${counts.failed}${counts.deferred ? `, deferred ${counts.deferred}` : ""}; ${counts.alreadyDone} already in the ledger before this run` +
        (counts.suppressed > 0 ? `; ${counts.suppressed} suppressed` : "") +
        ` (${report.durationMs} ms).`,
    );
  }
  return lines.join("\n");
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
