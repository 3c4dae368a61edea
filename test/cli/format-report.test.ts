import { describe, expect, it } from "vitest";
import { formatRunReport } from "../../src/cli/format-report.ts";
import type { RunReport } from "../../src/digest/run-digest.ts";

const report = (candidatePapers: number, distinctTopics: number): RunReport => ({
  date: "2026-05-14",
  dryRun: true,
  digests: [{ key: "daily:2026-05-14", since: "2026-05-13", until: "2026-05-14", candidatePapers, distinctTopics }],
  counts: { due: 0, sent: 0, skipped: 0, failed: 0, planned: 0, deferred: 0, alreadySent: 0, alreadySkipped: 0, suppressed: 0 },
  outcomes: [],
  outcomesOmitted: 0,
  mailer: "outbox",
  durationMs: 1,
});

describe("formatRunReport", () => {
  it("counts papers and topics in words that agree with the number", () => {
    expect(formatRunReport(report(1, 1))).toContain("1 paper listed 2026-05-13..2026-05-14 (each subscriber gets the days their cadence covers), 1 distinct topic\n");
    expect(formatRunReport(report(2, 3))).toContain("2 papers listed 2026-05-13..2026-05-14 (each subscriber gets the days their cadence covers), 3 distinct topics\n");
  });
});
