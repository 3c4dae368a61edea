// GET /healthz for load balancers and monitors: 200 when the database answers
// within a short timeout (with how long ago the scheduler last ticked), 503 when not.
import type { FastifyInstance } from "fastify";
import type { Db } from "../../db/client.ts";
import { throttleWarnings } from "../../db/unreachable.ts";
import { describeError } from "../../errors.ts";
import { lastTick } from "../../digest/runs.ts";
import type { WebDeps } from "../web-deps.ts";

export const HEALTH_TIMEOUT_MS = 2_000;

export type Health = { status: "ok"; database: "ok"; lastTick: { at: string; ageSeconds: number } | null } | { status: "unavailable"; database: "timeout" | "unreachable" };

export function registerHealthRoutes(app: FastifyInstance, deps: Pick<WebDeps, "db" | "now" | "log" | "healthTimeoutMs">): void {
  // A monitor polls every few seconds: while the database is down, one line a minute says so.
  const log = throttleWarnings(deps.log);
  app.get("/healthz", async (_request, reply) => {
    const health = await checkHealth(deps.db, deps.now(), deps.healthTimeoutMs ?? HEALTH_TIMEOUT_MS, log);
    return reply
      .code(health.status === "ok" ? 200 : 503)
      .header("cache-control", "no-store")
      .send(health);
  });
}

/** One query — the last tick — is the database check. Never throws; logs why the database is down. */
export async function checkHealth(db: Db, now: Date, timeoutMs: number, log: WebDeps["log"]): Promise<Health> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    const tick = await Promise.race([lastTick(db), timeout]);
    if (tick === "timeout") {
      log.warn(`healthz: the database did not answer within ${timeoutMs} ms`);
      return { status: "unavailable", database: "timeout" };
    }
    const age = tick ? { at: tick.startedAt.toISOString(), ageSeconds: Math.max(0, Math.round((now.getTime() - tick.startedAt.getTime()) / 1000)) } : null;
    return { status: "ok", database: "ok", lastTick: age };
  } catch (error) {
    log.warn(`healthz: the database is unreachable: ${describeError(error)}`);
    return { status: "unavailable", database: "unreachable" };
  } finally {
    clearTimeout(timer);
  }
}
