// Bug (issue 11.7): a failed request said only "fetch failed", and its retries
// were silent. fetchText with the real fetch against real local failures: each
// names its cause, and each retry is a warning saying when and why.
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLog } from "../../src/log.ts";
import { CLOCK } from "../helpers/log-lines.ts";
import { fetchText, type HttpOptions } from "../../src/sources/http.ts";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.ts";

let server: FixtureServer;
beforeAll(async () => {
  server = await startFixtureServer((url) => {
    if (url.pathname === "/stall") return { stall: true };
    if (url.pathname === "/busy") return { status: 503, body: "busy" };
    if (url.pathname === "/missing") return { status: 404, body: "no" };
    return { body: "ok" };
  });
});
afterAll(async () => {
  await server.close();
});

/** A port on which nothing listens: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** fetchText with no real waiting; returns the error and what was logged at the default level (info). */
async function fail(url: string, options: HttpOptions = {}) {
  const lines: string[] = [];
  const sleeps: number[] = [];
  const error = await fetchText(url, { retries: 2, log: createLog("info", (line) => lines.push(line.replace(CLOCK, "").trimEnd())), sleep: async (ms) => void sleeps.push(ms), ...options }).then(
    () => expect.unreachable("the request succeeded"),
    (thrown: unknown) => thrown as { code: string; message: string },
  );
  return { error, lines, sleeps };
}

describe("fetchText names why a request failed (issue 11.7)", () => {
  it("connection refused: names the address, and warns before each retry", async () => {
    const port = await closedPort();
    const { error, lines, sleeps } = await fail(`http://127.0.0.1:${port}/api`);
    const cause = `connection refused by 127.0.0.1:${port}: nothing is listening there (ECONNREFUSED)`;
    expect(error).toMatchObject({ code: "SOURCE_UNAVAILABLE", message: `127.0.0.1:${port} did not answer usefully after 3 attempts: ${cause}` });
    expect(lines).toEqual([`[warn] 127.0.0.1:${port}: retrying in 2 s (attempt 2 of 3): ${cause}`, `[warn] 127.0.0.1:${port}: retrying in 4 s (attempt 3 of 3): ${cause}`]);
    expect(sleeps).toEqual([2000, 4000]);
  });

  it("a host name that does not resolve (.invalid never does)", async () => {
    const { error } = await fail("http://nonexistent.invalid/api", { retries: 0 });
    // ENOTFOUND from a resolver that answers; EAI_AGAIN where there is none at all
    expect(error.message).toMatch(/^nonexistent\.invalid did not answer usefully: DNS (name not found: nonexistent\.invalid \(ENOTFOUND\)|lookup failed for nonexistent\.invalid: .*\(EAI_AGAIN\))$/);
  });

  it("a server that accepts and never answers: the timeout, in seconds", async () => {
    const { error, lines } = await fail(`${server.url}/stall`, { retries: 1, timeoutMs: 300 });
    const host = new URL(server.url).host;
    expect(error.message).toBe(`${host} did not answer usefully after 2 attempts: no answer within 0.3 s (timeout)`);
    expect(lines).toEqual([`[warn] ${host}: retrying in 2 s (attempt 2 of 2): no answer within 0.3 s (timeout)`]);
  });

  it("TLS spoken to a server that does not: a TLS failure with OpenSSL's code", async () => {
    const { error } = await fail(server.url.replace("http:", "https:"), { retries: 0 });
    expect(error.message).toMatch(/did not answer usefully: TLS failed with 127\.0\.0\.1:\d+: .+ \(ERR_SSL_[A-Z_]+\)$/);
  });

  it("HTTP status with its reason: 5xx retried, 404 not", async () => {
    const busy = await fail(`${server.url}/busy`);
    expect(busy.error.message).toMatch(/did not answer usefully after 3 attempts: HTTP 503 Service Unavailable$/);
    expect(busy.lines[0]).toMatch(/retrying in 2 s \(attempt 2 of 3\): HTTP 503 Service Unavailable$/);
    const missing = await fail(`${server.url}/missing`);
    expect(missing.error.message).toMatch(/did not answer usefully: HTTP 404 Not Found$/);
    expect(missing.lines).toEqual([]);
  });
});
