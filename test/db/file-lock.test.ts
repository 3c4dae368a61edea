// The lock the embedded server is started, joined and left under (issue 12.3).
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withFileLock } from "../../src/db/file-lock.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "paperboy-lock-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("withFileLock", () => {
  it("lets one holder in at a time", async () => {
    const file = path.join(dir, "one-at-a-time");
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        withFileLock(file, 60_000, async () => {
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setImmediate(resolve));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
  });

  it("breaks at once a lock whose holder is dead, and releases after a failure", async () => {
    const file = path.join(dir, "stale");
    const dead = spawnSync(process.execPath, ["-e", ""]).pid; // has exited by now
    await writeFile(file, `${dead}\n`);
    await expect(withFileLock(file, 1_000, async () => Promise.reject(new Error("inside")))).rejects.toThrow("inside");
    expect(await withFileLock(file, 1_000, async () => "taken again")).toBe("taken again");
  });

  it("gives up after the timeout while a live process holds it", async () => {
    const file = path.join(dir, "held");
    await writeFile(file, `${process.ppid}\n`);
    await expect(withFileLock(file, 200, async () => "never")).rejects.toThrow(/held by process/);
  });
});
