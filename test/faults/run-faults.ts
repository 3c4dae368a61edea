// `npm run faults`: the fault matrix, measured rather than asserted. Each case
// seeds N subscribers in a fresh database (a real embedded PostgreSQL), injects
// one fault (a real SMTP sink misbehaving on purpose, real CLI and worker
// processes killed with SIGKILL), lets the system recover the way the README
// promises, and counts from the sink and the ledger: sent once, lost, duplicated,
// flagged possibleDuplicate, wrongly suppressed. Prints a markdown table (stdout),
// or JSON with --json. Options: --n 100  --cases kill-run,relay-wide  --json
// The seed (kill points, faulty addresses) is printed first; PAPERBOY_TEST_SEED replays it.
import { startTestServer } from "../helpers/test-server.ts";
import { loadSeed, random } from "../helpers/seeded-random.ts";
import { concurrentRuns, concurrentRunsStopped, killPostgres, killRun, killWorker, tickWorkerPairs } from "./crash-cases.ts";
import { firstAttemptFault, recipientRefusal, relayWideReply, smtpDownAtTick, type CaseContext } from "./smtp-cases.ts";
import type { Tally } from "./tally.ts";

const CASES: Record<string, (ctx: CaseContext) => Promise<Tally>> = {
  "smtp-down": smtpDownAtTick(0),
  "smtp-down-4h": smtpDownAtTick(4),
  "relay-wide": relayWideReply("relay-wide 5xx (5.7.1 to every RCPT)", "550 5.7.1 Relaying denied", 0),
  "relay-wide-4h": relayWideReply("relay-wide 5xx for 4 h (runs every 15 min)", "550 5.7.1 Relaying denied", 4),
  "relay-wide-4xx-4h": relayWideReply("relay-wide 4xx for 4 h (451 to every RCPT)", "451 4.3.0 Temporary local problem", 4),
  "recipient-5xx": recipientRefusal,
  "4xx": firstAttemptFault("4xx (450 to 20 %, twice, then OK)", "450 4.2.1 Mailbox busy, try again later", 0.2, 2),
  "drop-before-data": firstAttemptFault("connection dropped before DATA (20 %)", "drop-at-rcpt", 0.2),
  "drop-after-data": firstAttemptFault("connection dropped after DATA (20 %)", "drop-after-data", 0.2),
  "kill-run": killRun,
  "kill-worker": killWorker(3),
  "kill-postgres": killPostgres,
  "concurrent-cli": concurrentRuns(3),
  "tick-worker-pairs": tickWorkerPairs,
  "concurrent-cli-stopped": concurrentRunsStopped(3),
};

const option = (name: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? undefined : process.argv[at + 1];
};
const n = Number(option("n") ?? 100);
const selected = (option("cases") ?? Object.keys(CASES).join(",")).split(",");
const unknown = selected.filter((name) => !(name in CASES));
if (!Number.isInteger(n) || n < 10 || unknown.length > 0) {
  console.error(`usage: npm run faults -- [--n 10…] [--cases ${Object.keys(CASES).join(",")}] [--json]`);
  process.exit(2);
}
const say = (line: string) => process.stderr.write(`${line}\n`);

async function main() {
  const seed = loadSeed();
  say(`fault matrix: N = ${n} subscribers per case, seed ${seed} (replay with PAPERBOY_TEST_SEED=${seed})`);
  const started = performance.now();
  const server = await startTestServer("paperboy-faults-");
  const tallies: Tally[] = [];
  try {
    for (const name of selected) {
      const caseStarted = performance.now();
      // Each case its own generator, so one case replays without the others; the case index is
      // spread over 32 bits because an LCG's first draw is nearly linear in its seed.
      const tally = await CASES[name]!({ serverUrl: server.serverUrl, n, next: random((seed + Math.imul(Object.keys(CASES).indexOf(name) + 1, 0x9e3779b9)) >>> 0) });
      tallies.push(tally);
      say(`  ${name}: ${formatRow(tally)} (${((performance.now() - caseStarted) / 1000).toFixed(1)} s)`);
    }
  } finally {
    await server.stop();
  }
  const seconds = Math.round((performance.now() - started) / 1000);
  if (process.argv.includes("--json")) console.log(JSON.stringify({ seed, n, seconds, cases: tallies }, null, 2));
  else console.log(formatTable(tallies, seed, seconds));
  if (tallies.some((tally) => tally.lost > 0 || tally.unflagged > 0 || tally.wronglySuppressed > 0)) process.exitCode = 1;
}

const HEADER = ["case", "N", "sent once", "lost", "duplicated", "flagged", "wrongly suppressed", "notes"];

function cells(tally: Tally): string[] {
  const flagged = tally.duplicated === 0 ? "–" : `${tally.flagged}/${tally.duplicated}${tally.unflagged > 0 ? ` (**${tally.unflagged} unflagged**)` : ""}`;
  const notes = [...tally.notes, `${tally.flaggedRows} rows flagged`].join("; ");
  return [tally.case, String(tally.n), String(tally.sentOnce), String(tally.lost), String(tally.duplicated), flagged, String(tally.wronglySuppressed), notes];
}

const formatRow = (tally: Tally) =>
  cells(tally)
    .slice(2)
    .map((cell, i) => `${HEADER[i + 2]} ${cell}`)
    .join(" · ");

function formatTable(tallies: Tally[], seed: number, seconds: number): string {
  const line = (row: string[]) => `| ${row.map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(HEADER), line(HEADER.map(() => "---")), ...tallies.map((tally) => line(cells(tally))), "", `seed ${seed}, ${seconds} s`].join("\n");
}

await main();
