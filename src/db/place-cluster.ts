// Where the embedded server's data directory really is. Normally where it was
// asked for; as root, when the `postgres` user cannot enter the folder above it
// (a project in /root or in any 0700 folder), a fixed place under SHARED_DIR,
// linked from where it was asked for.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readlink, rm, symlink } from "node:fs/promises";
import path from "node:path";
import { AppError, describeError } from "../errors.ts";
import type { Log } from "../log.ts";
import { createSharedDir, isReachableBy, SHARED_DIR, type PostgresUser } from "./postgres-user.ts";

/**
 * Returns the directory PostgreSQL should use for `dataDir`. When it relocates,
 * it leaves a symbolic link at `dataDir` and logs where the data is; the same
 * `dataDir` always maps to the same place, and a link left earlier is followed,
 * so every run finds the same cluster. Throws DATABASE_UNAVAILABLE when an
 * existing cluster sits where the `postgres` user cannot reach it.
 */
export async function placeCluster(dataDir: string, user: PostgresUser | undefined, log: Log): Promise<string> {
  const linked = await followLink(dataDir);
  if (linked && user) await createSharedDir(path.dirname(linked)); // when SHARED_DIR was deleted since
  if (linked) return linked;
  if (!user) return dataDir;

  const parent = path.dirname(dataDir);
  await mkdir(parent, { recursive: true });
  if (await isReachableBy(user, parent)) return dataDir;
  if (existsSync(path.join(dataDir, "PG_VERSION"))) {
    throw new AppError(
      "DATABASE_UNAVAILABLE",
      `The PostgreSQL data in ${dataDir} cannot be used: PostgreSQL runs as the user ${user.name}, who cannot enter ${parent}; move the folder to one ${user.name} can enter and set PAPERBOY_DATA_DIR, or make every folder above it searchable (chmod o+x).`,
    );
  }

  const target = path.join(SHARED_DIR, "clusters", nameCluster(dataDir));
  try {
    await createSharedDir(path.dirname(target));
    await rm(dataDir, { recursive: true, force: true }); // no cluster in it (checked above): what an earlier failed start left
    await symlink(target, dataDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error; // a concurrent start linked it: to the same place
    });
  } catch (cause) {
    throw new AppError(
      "DATABASE_UNAVAILABLE",
      `PostgreSQL runs as the user ${user.name}, who cannot enter ${parent}, and its data cannot be kept in ${target} instead (${describeError(cause)}): set PAPERBOY_DATA_DIR to a folder ${user.name} can enter, or DATABASE_URL.`,
      { cause },
    );
  }
  log.info(`PostgreSQL runs as the user ${user.name}, who cannot enter ${parent}: its data is kept in ${target} (${dataDir} links there)`);
  return target;
}

async function followLink(dataDir: string): Promise<string | undefined> {
  try {
    return path.resolve(path.dirname(dataDir), await readlink(dataDir));
  } catch {
    return undefined; // not a link (or nothing there)
  }
}

// Readable (the path it stands for) and unique (a hash of that path).
function nameCluster(dataDir: string): string {
  const readable = dataDir
    .split(path.sep)
    .filter(Boolean)
    .join("-")
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .slice(-60);
  const hash = createHash("sha256").update(dataDir).digest("hex").slice(0, 12);
  return `${readable}-${hash}`;
}
