// Subscribe requests in the web app: the request validates, stores the request in
// one statement and answers; a processor in the same process does the
// state-dependent work (suppression, pending or active, cooldown, the email) after
// the answer. So the answer's content and timing are the same for every address,
// and a request stored just before a crash is processed at the next start.
import { sql, type Db } from "../db/client.ts";
import { describeError } from "../errors.ts";
import { maskAddresses } from "../log.ts";
import { processSubscription, validateSubscribeRequest, type SubscribeDeps, type SubscribeRequest, type ValidSubscribeRequest } from "./subscribe.ts";

/** A claimed request belongs to its processor this long; after it, another (or the next start) takes it again. */
export const SUBSCRIBE_LEASE_MS = 5 * 60 * 1000;
/** A request whose processing threw this many times is dropped (and logged). */
const MAX_ATTEMPTS = 3;
const SWEEP_EVERY_MS = 60 * 1000;

export type SubscribeQueue = {
  /** Validates (throws INVALID_EMAIL / INVALID_TOPIC naming the field) and stores the request; processing follows. */
  submit(request: SubscribeRequest): Promise<void>;
  /** Stops taking requests and waits for the ones in progress; the rest stay stored for the next start. */
  stop(): Promise<void>;
};

type StoredRequest = ValidSubscribeRequest & { id: number; attempts: number };

/**
 * Starts the processor: it drains what is stored (leftovers of a stopped or
 * crashed process first), again after every submit, and every minute (requests
 * whose processor died). Several processes may share one database: a request is
 * claimed by one statement (FOR UPDATE SKIP LOCKED, with a lease). `concurrency`
 * requests are processed at once; processSubscription is race-free per address.
 */
export function startSubscribeQueue(deps: SubscribeDeps, options: { concurrency?: number } = {}): SubscribeQueue {
  const concurrency = options.concurrency ?? 4;
  const running = new Set<Promise<void>>();
  let draining = 0;
  let recheck = false; // a submit arrived while every drain loop was busy
  let stopped = false;

  const kick = () => {
    if (stopped) return;
    if (draining >= concurrency) {
      recheck = true;
      return;
    }
    draining++;
    const loop = drain().finally(() => running.delete(loop));
    running.add(loop);
  };

  async function drain(): Promise<void> {
    try {
      while (!stopped) {
        const request = await claimRequest(deps.db, deps.now()).catch((error: unknown) => {
          deps.log.warn(`Could not read the stored subscribe requests: ${maskAddresses(describeError(error))}`);
          return undefined;
        });
        if (!request) {
          if (!recheck) return;
          recheck = false;
          continue;
        }
        await handleRequest(deps, request);
      }
    } finally {
      draining--; // in the loop's own turn, so a kick that finds it busy has already set `recheck`
    }
  }

  const sweep = setInterval(kick, SWEEP_EVERY_MS);
  sweep.unref();
  kick();
  return {
    async submit(request) {
      const valid = validateSubscribeRequest(deps.mail.secret, request, deps.now());
      await storeRequest(deps.db, valid);
      // After this turn: the answer goes out first, the processing follows it.
      setImmediate(kick);
    },
    async stop() {
      stopped = true;
      clearInterval(sweep);
      await Promise.allSettled([...running]);
    },
  };
}

async function storeRequest(db: Db, request: ValidSubscribeRequest): Promise<void> {
  await sql(db, `INSERT INTO "SubscribeRequest" ("email", "topics", "source", "ipHash", "timezone", "createdAt") VALUES ($1, $2, $3, $4, $5, $6)`, [
    request.email,
    request.topics,
    request.source,
    request.ipHash,
    request.timezone,
    request.requestedAt,
  ]);
}

/** Takes the oldest request nobody holds, in one statement; undefined when there is none. */
async function claimRequest(db: Db, now: Date): Promise<StoredRequest | undefined> {
  const [row] = await sql<StoredRequest>(
    db,
    `UPDATE "SubscribeRequest" SET "leaseUntil" = $2, "attempts" = "attempts" + 1
     WHERE "id" = (SELECT "id" FROM "SubscribeRequest" WHERE "leaseUntil" IS NULL OR "leaseUntil" <= $1 ORDER BY "id" LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING "id", "email", "topics", "source", "ipHash", "timezone", "attempts", "createdAt" AT TIME ZONE 'UTC' AS "requestedAt"`,
    [now, new Date(now.getTime() + SUBSCRIBE_LEASE_MS)],
  );
  return row;
}

/** Processes one claimed request and deletes it; a failure is logged and retried after the lease, at most MAX_ATTEMPTS times. */
async function handleRequest(deps: SubscribeDeps, request: StoredRequest): Promise<void> {
  try {
    await processSubscription(deps, { ...request, topics: request.topics ?? [] });
  } catch (error) {
    const last = request.attempts >= MAX_ATTEMPTS;
    const what = `subscribe request ${request.id} for ${maskAddresses(request.email)} (attempt ${request.attempts} of ${MAX_ATTEMPTS})`;
    deps.log[last ? "error" : "warn"](`Could not process the ${what}${last ? ", dropped" : ""}: ${maskAddresses(describeError(error))}`);
    if (!last) return;
  }
  await sql(deps.db, `DELETE FROM "SubscribeRequest" WHERE "id" = $1`, [request.id]).catch((error: unknown) =>
    deps.log.warn(`Could not delete the processed subscribe request ${request.id}: ${describeError(error)}`),
  );
}
