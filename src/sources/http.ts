// Polite HTTP for the paper sources: timeouts, a capped body, retries with
// backoff, and 429/503 answered by waiting as long as the server asks.
import { AppError } from "../errors.ts";
import type { Log } from "../log.ts";
import { silentLog } from "../log.ts";
import { describeFetchError, describeHttpStatus } from "./describe-fetch-error.ts";

export type HttpOptions = {
  /** Injected so tests can serve recorded responses; defaults to global fetch. */
  fetch?: typeof fetch;
  /** Injected so tests never wait; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  timeoutMs?: number;
  maxBytes?: number;
  /** Attempts after the first, for network errors, 5xx and 429. */
  retries?: number;
  headers?: Record<string, string>;
  /** "error": a redirect fails the request (a host allowed to be asked must not send us elsewhere). */
  redirect?: "follow" | "error" | "manual";
  log?: Log;
};

const DEFAULTS = { timeoutMs: 30_000, maxBytes: 20 * 1024 * 1024, retries: 3 };
const BACKOFF_MS = 2_000;
const MAX_WAIT_MS = 5 * 60 * 1000;

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * GETs `url` and returns the body as text. Throws SOURCE_UNAVAILABLE after the
 * retries (naming the last status or the network error's cause) and
 * SOURCE_MALFORMED for a body over `maxBytes`. A 4xx other than 429 is not
 * retried; each retry is logged as a warning with its cause.
 */
export async function fetchText(url: string, options: HttpOptions = {}): Promise<string> {
  return (await fetchBody(url, options)).body.toString("utf8");
}

/** fetchText, but the body as bytes, with the response's Content-Type. */
export async function fetchBody(url: string, options: HttpOptions = {}): Promise<{ body: Buffer; contentType: string }> {
  const { timeoutMs, maxBytes, retries } = { ...DEFAULTS, ...options };
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? realSleep;
  const log = options.log ?? silentLog;
  let lastProblem = "";
  let attempts = 0;
  for (let attempt = 0; attempt <= retries; attempt++) {
    attempts = attempt + 1;
    let wait = BACKOFF_MS * 2 ** attempt;
    try {
      const response = await doFetch(url, { headers: { "user-agent": "paperboy (self-hosted paper digest)", ...options.headers }, signal: AbortSignal.timeout(timeoutMs), redirect: options.redirect });
      if (response.ok) return { body: await readCapped(response, maxBytes, url), contentType: response.headers.get("content-type") ?? "" };
      lastProblem = describeHttpStatus(response.status);
      await response.body?.cancel().catch(() => {});
      if (response.status === 429 || response.status === 503) wait = Math.max(wait, retryAfterMs(response.headers) ?? 0);
      else if (response.status < 500) break;
    } catch (error) {
      if (error instanceof AppError) throw error;
      lastProblem = describeFetchError(error, url, timeoutMs);
    }
    if (attempt < retries) {
      const delay = Math.min(wait, MAX_WAIT_MS);
      log.warn(`${new URL(url).host}: retrying in ${Math.round(delay / 1000)} s (attempt ${attempt + 2} of ${retries + 1}): ${lastProblem}`);
      await sleep(delay);
    }
  }
  const tries = attempts === 1 ? "" : ` after ${attempts} attempts`;
  throw new AppError("SOURCE_UNAVAILABLE", `${new URL(url).host} did not answer usefully${tries}: ${lastProblem}`, { permanent: false });
}

/** Retry-After (seconds or an HTTP date) or the IETF RateLimit header's reset (`t=` or `RateLimit-Reset`), in ms. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const retryAfter = headers.get("retry-after");
  if (retryAfter) {
    if (/^\d+$/.test(retryAfter.trim())) return Number(retryAfter) * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const t = /(?:^|[;,\s])t=(\d+)/.exec(headers.get("ratelimit") ?? "")?.[1] ?? headers.get("ratelimit-reset");
  return t && /^\d+$/.test(t) ? Number(t) * 1000 : undefined;
}

async function readCapped(response: Response, maxBytes: number, url: string): Promise<Buffer> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw new AppError("SOURCE_MALFORMED", `${url} answered with ${declared} bytes, more than the ${maxBytes} allowed`);
  const reader = response.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new AppError("SOURCE_MALFORMED", `${url} sent more than the ${maxBytes} bytes allowed`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** Rejects a 200 that is an HTML page (a proxy or error page) where data was expected. */
export function assertNotHtml(body: string, url: string, expected: string): void {
  if (/^\s*(<!doctype html|<html)/i.test(body)) {
    throw new AppError("SOURCE_MALFORMED", `${url} returned an HTML page instead of ${expected} (an error page?)`);
  }
}

/** Keeps at least `intervalMs` between the starts of consecutive calls (arXiv asks for 3 s). */
export function createThrottle(intervalMs: number, sleep: (ms: number) => Promise<void> = realSleep, now: () => number = Date.now) {
  let last = Number.NEGATIVE_INFINITY;
  return async function throttled<T>(call: () => Promise<T>): Promise<T> {
    const wait = last + intervalMs - now();
    if (wait > 0) await sleep(wait);
    last = now();
    return call();
  };
}
