// A minimal levelled logger. Passed in as a dependency; `silentLog` is the default
// for tests and library calls.

export type Log = {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
};

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const LEVELS: LogLevel[] = ["debug", "info", "warn", "error", "silent"];

/** Writes one line per entry to stderr (so stdout stays clean for --json output). */
export function createLog(level: LogLevel = "info", write: (line: string) => void = (line) => process.stderr.write(line)): Log {
  const threshold = LEVELS.indexOf(level);
  const emit = (at: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS.indexOf(at) < threshold) return;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
    write(`${at === "info" ? "" : `[${at}] `}${message}${extra}\n`);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

export const silentLog: Log = createLog("silent");
