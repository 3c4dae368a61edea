// A run whose process was killed does not stay "unfinished" for ever: `runs` says
// it died, and the next tick records it as ended.
import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatRunSummary } from "../../src/cli/format-report.ts";
import { listRuns } from "../../src/digest/runs.ts";
import { runTick } from "../../src/digest/tick.ts";
import { silentLog } from "../../src/log.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

let test: TestDatabase;
beforeAll(async () => {
  test = await createTestDatabase();
});
afterAll(async () => {
  await test.drop();
});

/** The pid of a process that has exited (as a SIGKILLed `paperboy run` leaves it). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.on("exit", resolve));
  return child.pid!;
}

describe("runs whose process died", () => {
  it("are shown as died and closed by the next tick; a live one is left running", async () => {
    const now = new Date("2026-05-14T09:00:00Z");
    const killed = await test.db.run.create({ data: { kind: "manual", digestDate: "2026-05-14", startedAt: new Date("2026-05-14T08:00:00Z"), pid: await deadPid(), host: hostname() } });
    const live = await test.db.run.create({ data: { kind: "manual", digestDate: "2026-05-14", startedAt: new Date("2026-05-14T08:30:00Z"), pid: process.pid, host: hostname() } });
    const elsewhere = await test.db.run.create({ data: { kind: "tick", digestDate: "2026-05-12", startedAt: new Date("2026-05-12T08:00:00Z"), pid: 1, host: "another-machine" } });
    const recent = await test.db.run.create({ data: { kind: "tick", digestDate: "2026-05-14", startedAt: new Date("2026-05-14T08:45:00Z"), pid: 1, host: "another-machine" } });

    const states = Object.fromEntries((await listRuns(test.db, 10, now)).map((run) => [run.id, run.state]));
    expect(states).toMatchObject({ [killed.id]: "died", [live.id]: "running", [elsewhere.id]: "died", [recent.id]: "running" });
    const shown = (await listRuns(test.db, 10, now)).find((run) => run.id === killed.id)!;
    expect(formatRunSummary(shown)).toMatch(/^#\d+ manual .* died /);

    await runTick({ db: test.db, log: silentLog, now: () => now, sources: [], enqueue: async () => true });
    for (const id of [killed.id, elsewhere.id]) {
      const run = await test.db.run.findUniqueOrThrow({ where: { id } });
      expect(run.finishedAt).toEqual(now);
      expect((run.report as { error?: string }).error).toMatch(/^the process running it \(pid \d+ on .+\) ended before it finished$/);
    }
    for (const id of [live.id, recent.id]) expect((await test.db.run.findUniqueOrThrow({ where: { id } })).finishedAt).toBeNull();
    const tick = await test.db.run.findFirstOrThrow({ where: { kind: "tick", finishedAt: now }, orderBy: { id: "desc" } });
    expect(tick).toMatchObject({ pid: process.pid, host: hostname() });
  });
});
