// Operator endpoints, each behind its own shared secret: bounce/complaint
// webhooks from the mail provider, and the run report.
import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { listRuns } from "../../digest/runs.ts";
import { AppError } from "../../errors.ts";
import { recordBounce, type BounceType } from "../../subscriptions/suppress.ts";
import type { WebDeps } from "../web-deps.ts";

const BOUNCE_TYPES: BounceType[] = ["hard", "soft", "complaint"];

export function registerOperatorRoutes(app: FastifyInstance, deps: WebDeps): void {
  // Generic JSON { email, type: hard|soft|complaint, reason }; adapt your provider's webhook to it.
  app.post("/webhooks/bounce", async (request) => {
    requireBearer(request, deps.webhookSecret, "PAPERBOY_WEBHOOK_SECRET");
    const body = (request.body ?? {}) as { email?: unknown; type?: unknown; reason?: unknown };
    if (typeof body.type !== "string" || !BOUNCE_TYPES.includes(body.type as BounceType)) {
      throw new AppError("INVALID_ARGUMENT", `type must be one of ${BOUNCE_TYPES.join(", ")}`, { field: "type" });
    }
    const suppressed = await recordBounce(deps.db, {
      email: typeof body.email === "string" ? body.email : "",
      type: body.type as BounceType,
      reason: typeof body.reason === "string" ? body.reason.slice(0, 500) : undefined,
    });
    return { status: "recorded", suppressed };
  });

  app.get("/admin/runs", async (request) => {
    requireBearer(request, deps.adminToken, "PAPERBOY_ADMIN_TOKEN");
    const last = Math.min(100, Math.max(1, Number((request.query as { last?: string }).last ?? 20) || 20));
    return { runs: await listRuns(deps.db, last) };
  });
}

/** Throws NOT_FOUND when the endpoint is not configured, UNAUTHORIZED for a wrong token (constant-time compare). */
export function requireBearer(request: FastifyRequest, secret: string | undefined, setting: string): void {
  if (!secret) throw new AppError("NOT_FOUND", `This endpoint is disabled; set ${setting} to enable it.`);
  const given = Buffer.from((request.headers.authorization ?? "").replace(/^Bearer /, ""));
  const expected = Buffer.from(secret);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AppError("UNAUTHORIZED", "missing or wrong bearer token");
}
