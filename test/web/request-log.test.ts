// The web app's request log, as an operator's log shipper receives it (JSON lines):
// each request with method, path, status and time, never a token or an address.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLog } from "../../src/log.ts";
import { redactedUrl } from "../../src/web/app.ts";
import { addSampleReader, startTestApp, type TestApp } from "../helpers/web-app.ts";

let t: TestApp;
const lines: string[] = [];

beforeAll(async () => {
  t = await startTestApp();
  t.deps.log = createLog("info", (line) => lines.push(line), "json");
});
afterAll(async () => {
  await t.close();
});

describe("request log", () => {
  it("logs each request with its status and time, without the signed token or any address", async () => {
    const { token } = await addSampleReader(t);
    lines.length = 0;
    expect((await fetch(`${t.baseUrl}/manage?token=${encodeURIComponent(token)}`)).status).toBe(200);
    expect((await fetch(`${t.baseUrl}/api/preferences`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(`${t.baseUrl}/nothing/ada.lovelace@example.org?email=ada.lovelace@example.org&page=2`)).status).toBe(404);
    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
    await expect.poll(() => lines.length).toBeGreaterThanOrEqual(3);
    const entries = lines.map((line) => JSON.parse(line) as { level: string; time: string; msg: string; method: string; path: string; status: number; ms: number });
    const requests = entries.filter((entry) => entry.method !== undefined);
    expect(requests.map(({ method, path, status }) => ({ method, path, status }))).toEqual([
      { method: "GET", path: "/manage?token=…", status: 200 },
      { method: "GET", path: "/api/preferences", status: 200 },
      { method: "GET", path: "/nothing/a***@example.org?email=…&page=2", status: 404 },
    ]);
    for (const entry of requests) {
      expect(entry).toMatchObject({ level: "info", time: expect.any(String), ms: expect.any(Number) });
      expect(entry.msg).toBe(`${entry.method} ${entry.path} ${entry.status} ${Math.round(entry.ms)} ms`);
    }
    const all = lines.join("");
    expect(all).not.toContain(token);
    expect(all).not.toContain("127.0.0.1");
    expect(all).not.toContain("ada.lovelace");
  });

  it("keeps only query values that are neither secret nor personal", () => {
    expect(redactedUrl("/feedback?token=abc.def&paper=2605.13724&vote=up&topic=agents")).toBe("/feedback?token=…&paper=2605.13724&vote=up&topic=…");
    expect(redactedUrl("/x\u0000y")).toBe(String.raw`/x\u0000y`);
    expect(redactedUrl("/")).toBe("/");
  });
});
