// Issue 12.3: `serve` with workers crashed when the database went away under a
// batch: pg-boss records a job's outcome without awaiting it, so the failed
// write was an unhandled rejection (ECONNREFUSED), which ends a Node process.
// The worker now hands the job back only once the database answers again.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client.ts";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "../../src/db/embedded-postgres.ts";
import { createCircuitBreaker } from "../../src/delivery/circuit-breaker.ts";
import { startQueue, type Queue } from "../../src/digest/queue.ts";
import { createLog } from "../../src/log.ts";
import { createWorld, type World } from "../helpers/digest-world.ts";

let root: string;
let world: World;
let server: EmbeddedDatabase;
let queue: Queue | undefined;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
const lines: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "paperboy-queue-outage-"));
  await chmod(root, 0o755); // as root, PostgreSQL runs as `postgres` and must reach its data dir
  world = await createWorld({ start: "2026-05-14T08:00:00Z" });
  process.on("unhandledRejection", onUnhandled);
});
afterAll(async () => {
  process.off("unhandledRejection", onUnhandled);
  await queue?.stop().catch(() => {});
  await server?.stop();
  await world.close();
  await rm(root, { recursive: true, force: true });
});

async function readJobState(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query("SELECT state::text FROM pgboss.job WHERE name = 'digest-batch'")).rows[0]?.state;
  } finally {
    await client.end();
  }
}

describe("a queue worker when the database goes away under a batch", () => {
  it("does not crash the process, and hands the batch back for a retry once the database is back", async () => {
    const dataDir = path.join(root, "postgres");
    server = await startEmbeddedPostgres(dataDir);
    // The batch's own queries go to a server that accepts and never answers, so the
    // batch is in flight, as long as the test wants, when the queue's database stops.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const hanging = createDb(`postgres://postgres:x@127.0.0.1:${(silent.address() as { port: number }).port}/paperboy`);
    const log = createLog("debug", (line) => void lines.push(line));
    queue = await startQueue(server.url, log);
    await queue.work({ ...world.deps, db: hanging, log, concurrency: 1, breaker: createCircuitBreaker({ now: world.deps.now }) }, 1);
    await queue.enqueue({ digestKey: "daily:2026-05-14", day: "2026-05-14", ids: [1] });
    await expect.poll(() => sockets.size).toBeGreaterThan(0);

    const url = server.url;
    await server.stop();
    for (const socket of sockets) socket.destroy(); // the batch fails: its connection is gone
    await expect.poll(() => unhandled.length > 0 || lines.some((line) => line.includes("waiting for the database"))).toBe(true);
    expect(unhandled).toEqual([]);

    server = await startEmbeddedPostgres(dataDir);
    expect(server.url).toBe(url);
    await expect.poll(() => readJobState(server.url)).toBe("retry");
    expect(unhandled).toEqual([]);
    await hanging.$disconnect();
    await new Promise((resolve) => silent.close(resolve));
  });
});
