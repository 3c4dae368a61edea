// Whether a process id names a live process on this machine (signal 0 probes
// without signalling; EPERM means it exists but belongs to another user).

/** True when `pid` is a live process here. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
