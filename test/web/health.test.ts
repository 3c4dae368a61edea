// Issue 11.10: /healthz said ok without looking at the database. It now asks the
// database (the last tick's time), answers 503 when it is down or stalls, and
// reports how long ago the scheduler ticked.
import { createServer, type Server, type Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client.ts";
import { createApp } from "../../src/web/app.ts";
import { startTestApp, type TestApp } from "../helpers/web-app.ts";

const now = new Date("2026-05-14T09:00:00Z");
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ now: () => now });
  t.deps.healthTimeoutMs = 60_000; // a loaded machine must not make the healthy case fail
});
afterAll(async () => {
  await t.close();
});

/** The same app over another database; the app listens on port 0. */
async function withDatabase(url: string, healthTimeoutMs: number, check: (baseUrl: string) => Promise<void>): Promise<void> {
  const db = createDb(url);
  let app: FastifyInstance | undefined;
  try {
    app = await createApp({ ...t.deps, db, healthTimeoutMs });
    await check(await app.listen({ host: "127.0.0.1", port: 0 }));
  } finally {
    await app?.close();
    await db.$disconnect().catch(() => {});
  }
}

/** A TCP server that accepts connections and never says a word: a hung database. */
async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    },
  };
}

describe("GET /healthz", () => {
  it("answers ok with no tick yet, then the last tick's age (manual runs do not count)", async () => {
    const first = await fetch(`${t.baseUrl}/healthz`);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ status: "ok", database: "ok", lastTick: null });

    await t.test.db.run.create({ data: { kind: "tick", digestDate: "2026-05-14", startedAt: new Date(now.getTime() - 20 * 60_000) } });
    await t.test.db.run.create({ data: { kind: "tick", digestDate: "2026-05-14", startedAt: new Date(now.getTime() - 90_000) } });
    await t.test.db.run.create({ data: { kind: "manual", digestDate: "2026-05-14", startedAt: new Date(now.getTime() - 5_000) } });
    const second = await fetch(`${t.baseUrl}/healthz`);
    expect(second.headers.get("cache-control")).toBe("no-store");
    expect(await second.json()).toEqual({ status: "ok", database: "ok", lastTick: { at: "2026-05-14T08:58:30.000Z", ageSeconds: 90 } });
  });

  it("answers 503 when the database refuses connections", async () => {
    const silent = await startSilentServer();
    const port = silent.port;
    await silent.close(); // now nothing listens there
    await withDatabase(`postgres://nobody:secret@127.0.0.1:${port}/paperboy`, 60_000, async (baseUrl) => {
      const response = await fetch(`${baseUrl}/healthz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: "unavailable", database: "unreachable" });
    });
  });

  it("answers 503 within its timeout when the database accepts and never answers", async () => {
    const silent = await startSilentServer();
    try {
      await withDatabase(`postgres://nobody:secret@127.0.0.1:${silent.port}/paperboy`, 300, async (baseUrl) => {
        const response = await fetch(`${baseUrl}/healthz`);
        expect(response.status).toBe(503);
        expect(await response.json()).toEqual({ status: "unavailable", database: "timeout" });
        await silent.close(); // ends the connection attempt, so the pool can close
      });
    } finally {
      await silent.close();
    }
  });
});
