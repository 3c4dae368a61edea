// The suppression list: addresses (kept as hashes) that are never mailed again,
// from hard bounces, complaints, repeated soft bounces or an operator.
import type { Db } from "../db/client.ts";
import { hashAddress, normaliseEmail, type Tx } from "./subscriptions.ts";

/** Soft bounces in a row after which an address is suppressed. */
export const SOFT_BOUNCE_LIMIT = 3;

export type BounceType = "hard" | "soft" | "complaint";

/**
 * Suppresses the address and marks its subscriber (if any) `status`; idempotent.
 * Suppressed addresses are left out of every plan and every send.
 */
export async function suppressAddress(db: Db, email: string, status: "bounced" | "complained" | "unsubscribed", reason: string): Promise<void> {
  const address = normaliseEmail(email);
  await db.$transaction(async (tx) => {
    await suppressHash(tx, hashAddress(address), reason);
    await tx.subscriber.updateMany({ where: { email: address }, data: { status } });
  });
}

/**
 * Puts an address hash on the suppression list: a new row, or a lifted one made
 * active again with the new reason; an active suppression keeps its first reason.
 */
export async function suppressHash(tx: Tx, addressHash: string, reason: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO "Suppression" ("addressHash", "reason", "createdAt") VALUES (${addressHash}, ${reason.slice(0, 500)}, now())
    ON CONFLICT ("addressHash") DO UPDATE SET reason = EXCLUDED.reason, "createdAt" = EXCLUDED."createdAt", "liftedAt" = NULL, "liftedBy" = NULL
    WHERE "Suppression"."liftedAt" IS NOT NULL`;
}

/**
 * Applies a bounce report: hard → suppressed as bounced; complaint → suppressed as
 * complained; soft → counted, suppressed at SOFT_BOUNCE_LIMIT. Returns whether the
 * address is now suppressed. Throws INVALID_EMAIL for a bad address.
 */
export async function recordBounce(db: Db, report: { email: string; type: BounceType; reason?: string }): Promise<boolean> {
  const address = normaliseEmail(report.email);
  const reason = `${report.type} bounce${report.reason ? `: ${report.reason}` : ""}`;
  if (report.type === "hard") return suppressAddress(db, address, "bounced", reason).then(() => true);
  if (report.type === "complaint") return suppressAddress(db, address, "complained", reason).then(() => true);
  const updated = await db.subscriber.updateManyAndReturn({ where: { email: address }, data: { softBounces: { increment: 1 } }, select: { softBounces: true } });
  if ((updated[0]?.softBounces ?? 0) < SOFT_BOUNCE_LIMIT) return false;
  await suppressAddress(db, address, "bounced", `${SOFT_BOUNCE_LIMIT} soft bounces; last: ${reason}`);
  return true;
}
