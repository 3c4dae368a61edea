// Operator endpoints behind a shared secret: bounce/complaint webhooks from the
// mail provider (the run report and the operator's pages are in admin.ts).
import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
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
}

/** Throws NOT_FOUND when the endpoint is not configured, UNAUTHORIZED for a wrong token (constant-time compare). */
export function requireBearer(request: FastifyRequest, secret: string | undefined, setting: string): void {
  if (!secret) throw new AppError("NOT_FOUND", `This endpoint is disabled; set ${setting} to enable it.`);
  const given = Buffer.from((request.headers.authorization ?? "").replace(/^Bearer /, ""));
  const expected = Buffer.from(secret);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AppError("UNAUTHORIZED", "missing or wrong bearer token");
}
