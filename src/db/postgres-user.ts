// PostgreSQL refuses to run as root. When paperboy runs as root, the embedded
// server runs as the system user `postgres`, which must be able to reach its
// binaries and its data directory: these helpers find that user and ask the
// system (not a guess from mode bits) what it can reach.
import { execFile, spawn } from "node:child_process";
import { chmod, mkdir, stat } from "node:fs/promises";
import { userInfo } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { AppError, describeError } from "../errors.ts";

export type PostgresUser = { name: string; uid: number; gid: number };

/** Where root keeps what the `postgres` user must reach: copies of the binaries and relocated clusters. */
export const SHARED_DIR = "/var/lib/paperboy";

const NAME = "postgres";
const run = promisify(execFile);

/**
 * Undefined unless this process is root; as root, the `postgres` user, created
 * (as a system user) when missing. Throws DATABASE_UNAVAILABLE when it cannot be.
 */
export async function loadPostgresUser(): Promise<PostgresUser | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const found = await findUser(NAME);
  if (found) return found;
  try {
    await run("groupadd", ["--force", "--system", NAME]);
    await run("useradd", ["--system", "--gid", NAME, "--no-create-home", "--shell", "/usr/sbin/nologin", NAME]);
  } catch (cause) {
    throw new AppError(
      "DATABASE_UNAVAILABLE",
      `PostgreSQL refuses to run as root and the user '${NAME}' to run it as does not exist and could not be created (${describeError(cause).split("\n")[0]}): create it (useradd --system ${NAME}), run paperboy as another user, or set DATABASE_URL.`,
      { cause },
    );
  }
  const created = await findUser(NAME);
  if (!created) throw new AppError("DATABASE_UNAVAILABLE", `useradd reported success but the user '${NAME}' cannot be found: create it (useradd --system ${NAME}) or set DATABASE_URL.`);
  return created;
}

async function findUser(name: string): Promise<PostgresUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([run("id", ["-u", name]), run("id", ["-g", name])]);
    return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/**
 * True when `user` can search or execute `target`, every folder above it
 * included. Checked by running `test -x` as that user, with the same credentials
 * (no supplementary groups) that child processes spawned for it get.
 */
export function isReachableBy(user: PostgresUser, target: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", 'test -x "$1"', "sh", target], { uid: user.uid, gid: user.gid, cwd: "/", stdio: "ignore" });
    child.once("error", () => resolve(false));
    child.once("exit", (code) => resolve(code === 0));
  });
}

/**
 * Creates `dir` and its missing parents, each readable and searchable by
 * everyone (0755, whatever the umask); existing folders are left as they are.
 */
export async function createSharedDir(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let current = path.resolve(dir); !(await exists(current)); current = path.dirname(current)) missing.unshift(current);
  for (const folder of missing) {
    await mkdir(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
    await chmod(folder, 0o755);
  }
}

async function exists(target: string): Promise<boolean> {
  return stat(target).then(
    () => true,
    () => false,
  );
}
