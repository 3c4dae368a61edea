// Starts crash-worker.ts in a child process (one worker, one batch of every
// subscriber) so that a test can SIGKILL it mid-batch.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { CLAIM_LEASE_MS } from "../../src/delivery/ledger.ts";

const CHILD = fileURLToPath(new URL("./crash-worker.ts", import.meta.url));

export type CrashWorker = { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> };

/** The `iteration`-th worker runs with its clock that many leases (plus a minute) ahead, so its predecessors' claims have expired. */
export function startCrashWorker(databaseUrl: string, smtpUrl: string, iteration: number): CrashWorker {
  const offset = iteration * (CLAIM_LEASE_MS + 60_000);
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, databaseUrl, smtpUrl, String(offset)], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stderr })));
  return { child, exited };
}
