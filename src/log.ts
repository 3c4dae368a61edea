// A levelled logger, passed in as a dependency (`silentLog` is the default for
// tests and library calls). Two formats, each entry with its time: `json`, one
// pino object per line ({"level":"warn","time":"…","msg":"…",…fields}) for
// journald, a log shipper or a file; `pretty`, a line a person reads on a
// terminal ("14:02:11 [warn] …"; info has no tag). The CLI picks json when
// stderr is not a terminal (PAPERBOY_LOG_FORMAT overrides). Either way an
// entry never carries a control character other than the line break, and
// stdout stays clean for --json output.
import pino from "pino";

export type Log = {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
};

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export type LogFormat = "pretty" | "json";

const LEVELS: LogLevel[] = ["debug", "info", "warn", "error", "silent"];

// C0 controls, DEL, C1 controls and the Unicode line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;
// An address starts only where a word does and its parts are bounded, so the scan stays linear on long untrusted text.
const ADDRESS = /(?<![A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{0,255}@([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+)/g;

/** Writes one line per entry with `write` (default: stderr), in `format`. */
export function createLog(level: LogLevel = "info", write: (line: string) => void = (line) => process.stderr.write(line), format: LogFormat = "pretty"): Log {
  if (format === "json") return jsonLog(level, write);
  const threshold = LEVELS.indexOf(level);
  const emit = (at: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS.indexOf(at) < threshold) return;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
    // Line breaks stay (stack traces); other control characters could garble or forge a terminal line.
    write(`${clock(new Date())} ${at === "info" ? "" : `[${at}] `}${message.replace(CONTROL_BUT_NEWLINE, escapeCharacter)}${extra}\n`);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** pino's JSON lines, the level as its name and the time as ISO 8601 (JSON escapes every control character). */
function jsonLog(level: LogLevel, write: (line: string) => void): Log {
  const logger = pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } }, { write: (line: string) => write(line) });
  const emit = (at: Exclude<LogLevel, "silent">) => (message: string, fields?: Record<string, unknown>) => logger[at](fields ?? {}, message);
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** HH:MM:SS local time: a terminal reader's clock. */
function clock(date: Date): string {
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((part) => String(part).padStart(2, "0")).join(":");
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
