// Recognising "the database is not there" (down, restarting, unreachable) among
// errors, whichever layer raised them: pg, Prisma's driver adapter, or Prisma.
import { describeError, isAppError } from "../errors.ts";
import type { Log } from "../log.ts";

// Socket errors; Prisma's P1001 can't reach, P1002 timed out, P1008 socket
// timeout, P1017 server closed the connection; SQLSTATE class 08 (connection
// exception) and 57P01–57P03 (admin or crash shutdown, cannot connect now).
const CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH", "EPIPE", "P1001", "P1002", "P1008", "P1017", "57P01", "57P02", "57P03"]);
const KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout"]);
// pg's errors without a code: a connection that died under a query, a pool that could not connect in time.
const MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection refused/i;
const REPEAT_EVERY_MS = 60_000;

type Wrapped = { code?: unknown; kind?: unknown; originalCode?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown }; message?: unknown };

/** True when `error`, or an error it wraps, says the database cannot be reached now (so trying later may work). */
export function isDatabaseUnreachable(error: unknown): boolean {
  if (isAppError(error, "DATABASE_UNAVAILABLE")) return true;
  const seen = new Set<unknown>();
  const pending = [error];
  while (pending.length > 0) {
    const current = pending.pop() as Wrapped | undefined;
    if (!current || typeof current !== "object" || seen.has(current)) continue;
    seen.add(current);
    for (const code of [current.code, current.originalCode]) {
      if (typeof code === "string" && (CODES.has(code) || /^08...$/.test(code))) return true;
    }
    if (typeof current.kind === "string" && KINDS.has(current.kind)) return true;
    if (typeof current.message === "string" && MESSAGES.test(current.message)) return true;
    pending.push(current.cause, current.meta?.driverAdapterError);
  }
  return false;
}

/**
 * A reporter for errors that repeat while the database is down (a pool's idle
 * connections, a queue's polling): the first is logged, then at most one a minute.
 */
export function createOutageReporter(log: Log, what: string, now: () => number = Date.now): (error: unknown) => void {
  const warn = throttleWarnings(log, now).warn;
  return (error) => warn(`${what}: ${isDatabaseUnreachable(error) ? "the database is unreachable" : "database error"} (${describeBriefly(error)}); retrying`);
}

// Prisma's messages quote the calling source code over several lines; the cause is the last one.
function describeBriefly(error: unknown): string {
  const lines = describeError(error)
    .split("\n")
    .filter((line) => line.trim() !== "");
  return (lines.at(-1) ?? "").trim();
}

/** `log` whose warnings are dropped for a minute after each one that is written (for checks that fail at every poll). */
export function throttleWarnings(log: Log, now: () => number = Date.now): Log {
  let lastAt = -Infinity;
  return {
    ...log,
    warn(message, fields) {
      if (now() - lastAt < REPEAT_EVERY_MS) return;
      lastAt = now();
      log.warn(message, fields);
    },
  };
}
