// Ending the CLI without losing output. Writes to a pipe are asynchronous in Node
// once the pipe's buffer (64 KiB on Linux) is full, and process.exit() drops
// whatever is still queued — so `paperboy subscribers list --json | jq` got 64 KiB.

type Output = NodeJS.WriteStream;

/**
 * Keeps a reader that goes away early (`paperboy … | head`) from crashing the
 * command with an EPIPE stack trace: the rest of the output is dropped and the
 * command finishes its work. Call once at start-up.
 */
export function ignoreClosedOutput(streams: Output[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
    });
  }
}

/** Resolves once everything written to `stream` so far has been handed to the OS (or the stream is gone). */
export function flushOutput(stream: Output): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  // Writes complete in order, so the callback of an empty write runs after every earlier one.
  return new Promise((resolve) => stream.write("", () => resolve()));
}

/** Exits with `code` after stdout and stderr are flushed. */
export async function exitAfterOutput(code: number): Promise<never> {
  await Promise.all([flushOutput(process.stdout), flushOutput(process.stderr)]);
  process.exit(code);
}
