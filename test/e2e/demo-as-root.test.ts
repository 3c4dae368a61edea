// The most common container setup: root, the project in a folder other users
// cannot enter (/root, any mktemp -d). PostgreSQL runs as the user `postgres`,
// who can reach neither the binaries in node_modules nor ./data/postgres there.
// Bug: `npm run demo` died with an unhandled `spawn …/initdb EACCES`.
import { execFile } from "node:child_process";
import { chmod, cp, mkdtemp, readdir, readlink, rm, stat } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli } from "../helpers/run-cli.ts";

const run = promisify(execFile);
const isRoot = userInfo().uid === 0;
if (!isRoot) console.warn("\n[root demo test skipped: it needs root, like a container; run the suite as root to include it]\n");

let project: string;

// What a clone has and a run makes: node_modules is linked in below, the rest must not come along.
const NOT_COPIED = new Set(["node_modules", ".git", "data/postgres", "data/outbox", "data/secret", ".env", "test-artifacts", "tmp"]);

/** The project as a fresh clone and install would have it, without git or the network. */
async function copyProject(target: string): Promise<void> {
  await cp(ROOT, target, { recursive: true, verbatimSymlinks: true, filter: (source) => !NOT_COPIED.has(path.relative(ROOT, source)) });
  // Hard links: a real tree inside the 0700 folder (a symlink to node_modules
  // would leave the binaries reachable) without copying 400 MB.
  await run("cp", ["-al", path.join(ROOT, "node_modules"), path.join(target, "node_modules")]).catch(() => run("cp", ["-a", path.join(ROOT, "node_modules"), path.join(target, "node_modules")]));
  await rm(path.join(target, "node_modules", ".cache"), { recursive: true, force: true }); // caches rewrite files: never through a link
}

describe.skipIf(!isRoot)("paperboy demo as root in a folder only root can enter", () => {
  beforeAll(async () => {
    project = await mkdtemp(path.join(tmpdir(), "paperboy-root-"));
    await chmod(project, 0o700);
    await copyProject(project);
  }, 300_000);
  afterAll(async () => {
    if (!project) return;
    // The cluster was relocated out of the project (see below): remove it too.
    const cluster = await readlink(path.join(project, "data", "postgres")).catch(() => undefined);
    if (cluster) await rm(cluster, { recursive: true, force: true });
    if (cluster) await rm(`${cluster}.paperboy`, { recursive: true, force: true }); // its lock, users and server log
    await rm(project, { recursive: true, force: true });
  });

  it("mails the demo, keeps the data for the next run, and --reset still starts over", async () => {
    const bin = path.join(project, "bin", "paperboy.js");
    expect((await stat(project)).mode & 0o777).toBe(0o700);

    const first = await runCli(["demo"], { PAPERBOY_LOG_LEVEL: "info" }, { cwd: project, bin });
    expect(first.stderr).not.toMatch(/EACCES|\n\s+at /);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("Sent 4, skipped 1, failed 0");
    const dataDir = path.join(project, "data", "postgres");
    const cluster = await readlink(dataDir);
    expect(first.stderr).toContain(`its data is kept in ${cluster} (${dataDir} links there)`);
    const outbox = path.join(project, "data", "outbox", "2026-05-14");
    expect((await readdir(outbox)).filter((file) => file.endsWith(".eml"))).toHaveLength(4);

    const second = await runCli(["demo"], {}, { cwd: project, bin });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain("Nothing new to send for 2026-05-14: 4 subscribers were already sent it; 1 was skipped");
    expect(await readlink(dataDir)).toBe(cluster);

    const reset = await runCli(["demo", "--reset"], {}, { cwd: project, bin });
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toContain("Sent 4, skipped 1, failed 0");
  }, 600_000);
});
