// Whether a process id names a live process on this machine (signal 0 probes
// without signalling; EPERM means it exists but belongs to another user).
import { readFileSync } from "node:fs";

/** True when `pid` is a live process here; a zombie (exited, not yet reaped) is not. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return !isZombie(pid);
}

// A killed PostgreSQL whose parent has gone is reparented to PID 1, which in some
// containers never reaps it: it would look alive for ever.
function isZombie(pid: number): boolean {
  if (process.platform !== "linux") return false;
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false; // gone between the two checks, or no /proc: trust the signal
  }
}
