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

// C0 controls, DEL, C1 controls and the Unicode line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;
// An address starts only where a word does and its parts are bounded, so the scan stays linear on long untrusted text.
const ADDRESS = /(?<![A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{0,255}@([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+)/g;

/** Writes one line per entry to stderr (so stdout stays clean for --json output). */
export function createLog(level: LogLevel = "info", write: (line: string) => void = (line) => process.stderr.write(line)): Log {
  const threshold = LEVELS.indexOf(level);
  const emit = (at: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS.indexOf(at) < threshold) return;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
    // Line breaks stay (stack traces); other control characters could garble or forge a terminal line.
    write(`${at === "info" ? "" : `[${at}] `}${message.replace(CONTROL_BUT_NEWLINE, escapeCharacter)}${extra}\n`);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

export const silentLog: Log = createLog("silent");

/** Every email address in `text` masked as `a***@example.org`: logs name a person by subscriber id or masked address, never in full. */
export function maskAddresses(text: string): string {
  return text.replace(ADDRESS, "$1***@$2");
}

/** Untrusted text (paper ids, a source's error) with every control character, line breaks included, as a `\uXXXX` escape. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, escapeCharacter);
}

function escapeCharacter(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
}
