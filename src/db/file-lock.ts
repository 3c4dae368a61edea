// An inter-process lock on one machine: a file holding its owner's pid, created
// atomically with its content (link(2) fails when the name exists). A lock whose
// owner died is broken at once, not after a timeout.
import { randomBytes } from "node:crypto";
import { link, readFile, rm, writeFile } from "node:fs/promises";
import { AppError } from "../errors.ts";
import { isProcessAlive } from "../process-alive.ts";

const RETRY_MS = 50;

/**
 * Runs `action` while holding the lock `file`, waiting up to `timeoutMs` for it;
 * releases it after, whatever `action` does. Throws DATABASE_UNAVAILABLE when a
 * live process keeps it longer than that.
 */
export async function withFileLock<T>(file: string, timeoutMs: number, action: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (!(await tryCreate(file))) {
    const holder = await readHolder(file);
    if (holder !== undefined && !isProcessAlive(holder)) {
      if (await breakStaleLock(file, holder)) continue;
    } else if (Date.now() > deadline) {
      throw new AppError("DATABASE_UNAVAILABLE", `${file} has been held by process ${holder ?? "?"} for over ${timeoutMs / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
  try {
    return await action();
  } finally {
    await rm(file, { force: true });
  }
}

async function tryCreate(file: string): Promise<boolean> {
  const draft = `${file}.${process.pid}-${randomBytes(4).toString("hex")}`;
  await writeFile(draft, `${process.pid}\n`);
  try {
    await link(draft, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await rm(draft, { force: true });
  }
}

async function readHolder(file: string): Promise<number | undefined> {
  const pid = Number((await readFile(file, "utf8").catch(() => "")).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

// Two processes may find the same dead holder: only the one holding the guard
// removes the lock, and only if it still names that holder (the other may have
// broken it and taken it meanwhile).
// True when the lock was removed (by this call).
async function breakStaleLock(file: string, holder: number): Promise<boolean> {
  const guard = `${file}.break`;
  if (!(await tryCreate(guard))) {
    const guardHolder = await readHolder(guard);
    if (guardHolder !== undefined && !isProcessAlive(guardHolder)) await rm(guard, { force: true });
    return false;
  }
  try {
    if ((await readHolder(file)) !== holder) return false;
    await rm(file, { force: true });
    return true;
  } finally {
    await rm(guard, { force: true });
  }
}
