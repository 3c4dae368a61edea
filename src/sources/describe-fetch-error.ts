// Names why an HTTP request failed. undici's fetch rejects every network problem
// with the same TypeError("fetch failed"); the real error is in `cause`.
import { STATUS_CODES } from "node:http";

type ErrorLike = { name?: string; message?: string; code?: unknown; cause?: unknown; errors?: unknown[]; hostname?: string; address?: string; port?: number };

const TLS_CODES = /^(CERT_|ERR_SSL_|ERR_TLS_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)/;

/** "HTTP 503 Service Unavailable". */
export function describeHttpStatus(status: number): string {
  const reason = STATUS_CODES[status];
  return reason ? `HTTP ${status} ${reason}` : `HTTP ${status}`;
}

/**
 * One line saying what went wrong, e.g. "connection refused by 127.0.0.1:8080
 * (ECONNREFUSED)", "DNS name not found: example.invalid (ENOTFOUND)", "TLS failed:
 * … (CERT_HAS_EXPIRED)", "no answer within 30 s (timeout)". `url` names the host
 * when the error does not; `timeoutMs` is the limit an AbortSignal.timeout used.
 */
export function describeFetchError(error: unknown, url: string, timeoutMs?: number): string {
  const top = error as ErrorLike;
  if (top?.name === "TimeoutError") return timeoutMs === undefined ? "no answer in time (timeout)" : `no answer within ${formatSeconds(timeoutMs)} (timeout)`;
  if (top?.name === "AbortError") return "the request was aborted";
  const cause = findCause(error);
  const code = typeof cause.code === "string" ? cause.code : undefined;
  const { host, hostname } = new URL(url);
  const at = cause.address ? `${cause.address}${cause.port ? `:${cause.port}` : ""}` : host;
  switch (code) {
    case "ENOTFOUND":
      return `DNS name not found: ${cause.hostname ?? hostname} (ENOTFOUND)`;
    case "EAI_AGAIN":
      return `DNS lookup failed for ${cause.hostname ?? hostname}: no network or no DNS server? (EAI_AGAIN)`;
    case "ECONNREFUSED":
      return `connection refused by ${at}: nothing is listening there (ECONNREFUSED)`;
    case "ECONNRESET":
      return `connection reset by ${at} (ECONNRESET)`;
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return `could not connect to ${at} in time (${code})`;
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
      return `${host} connected but stopped answering (${code})`;
    case "UND_ERR_SOCKET":
      return `${host} closed the connection (UND_ERR_SOCKET)`;
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `no route to ${at}: is the network up? (${code})`;
  }
  const message = firstLine(cause.message ?? String(error));
  if (code && TLS_CODES.test(code)) return `TLS failed with ${host}: ${message} (${code})`;
  if (message === "bad port") return `port ${new URL(url).port} is one that fetch refuses to use ("bad port")`;
  return code ? `${message} (${code})` : message;
}

/** The innermost error with a code (else the innermost), following `cause` and AggregateError's `errors`. */
function findCause(error: unknown): ErrorLike {
  let deepest: ErrorLike = {};
  let withCode: ErrorLike | undefined;
  let current = error as ErrorLike | undefined;
  for (let depth = 0; current && typeof current === "object" && depth < 8; depth++) {
    deepest = current;
    if (typeof current.code === "string") withCode = current;
    current = (current.cause ?? current.errors?.[0]) as ErrorLike | undefined;
  }
  return withCode ?? deepest;
}

function firstLine(text: string): string {
  return text.split("\n")[0]?.trim() ?? "";
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
