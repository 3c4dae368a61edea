// The Prisma client over node-postgres (Rust-free client + driver adapter).
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { silentLog, type Log } from "../log.ts";
import { PrismaClient } from "./generated/client.ts";
import { createOutageReporter } from "./unreachable.ts";

export type Db = PrismaClient;
export { Prisma } from "./generated/client.ts";

const pools = new WeakMap<Db, pg.Pool>();
const connected = new WeakMap<Db, Promise<void>>();

/**
 * Opens a pooled client; call `$disconnect()` when done (it closes the pool too).
 * While the database is down queries fail and the next ones reconnect; the
 * errors of idle connections are logged (not thrown: unhandled, they would end the process).
 */
export function createDb(databaseUrl: string, log: Log = silentLog): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl });
  pool.on("error", createOutageReporter(log, "database pool"));
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(db, pool);
  return db;
}

/**
 * Runs one SQL statement (`$1`… placeholders) on the client's own connection pool,
 * without Prisma's per-query work: for the statements of the sending path, run
 * per message or per batch, where that work cost more than the statement. Dates
 * are sent as UTC ISO strings, which is how Prisma stores DateTime (`timestamp`
 * columns hold UTC), whatever the session's or this process's time zone; read
 * `timestamp` columns back `AT TIME ZONE 'UTC'`. Falls back to `$queryRawUnsafe`.
 */
export async function sql<Row>(db: Db, text: string, values: unknown[]): Promise<Row[]> {
  const params = toParams(values);
  const pool = pools.get(db);
  if (!pool) return db.$queryRawUnsafe<Row[]>(text, ...params);
  await connectOnce(db);
  return (await pool.query(text, params)).rows;
}

/** The adapter takes charge of the pool (idle-client errors, ending it on $disconnect) only once Prisma has connected. */
function connectOnce(db: Db): Promise<void> {
  let connecting = connected.get(db);
  if (!connecting) {
    connecting = db.$connect().catch((error: unknown) => {
      connected.delete(db); // try again next time
      throw error;
    });
    connected.set(db, connecting);
  }
  return connecting;
}

export type Query = <Row>(text: string, values: unknown[]) => Promise<Row[]>;

/**
 * Runs `work` in one transaction on one connection of the pool (see sql): every
 * statement it runs with `query` commits, or none does. Falls back to Prisma's
 * interactive transaction.
 */
export async function transaction<T>(db: Db, work: (query: Query) => Promise<T>): Promise<T> {
  const pool = pools.get(db);
  if (!pool) return db.$transaction((tx) => work((text, values) => tx.$queryRawUnsafe(text, ...toParams(values))));
  await connectOnce(db);
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(async (text, values) => (await client.query(text, toParams(values))).rows);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

const toParams = (values: unknown[]) => values.map((value) => (value instanceof Date ? value.toISOString() : value));
