// Prisma CLI configuration, with the offline workarounds for Prisma 6.19 in one place
// (see prisma/cli-preload.cjs for the other half). Delete both the day Prisma's
// JS schema engine handles these by itself.
//
// 1. engine "js" + a driver adapter: the Rust schema engine would be downloaded
//    from the internet, which these machines cannot reach.
// 2. adapter-pg 6.19 creates the shadow database (migrate diff/dev) by overriding
//    `database` in its pool config, which a connectionString silently wins over —
//    so the config is given as separate fields. It also drops the shadow database
//    while its own pool is still connected; we close the pool first.
// 3. adapter-pg 6.19 cannot decode the catalog types `name` (OID 19) and `"char"`
//    (OID 18), which `migrate deploy` reads ("Column type 'name' could not be
//    deserialized"). We present them, and their arrays, as text / text[].
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

const TEXT = 25;
const TEXT_ARRAY = 1009;
const CATALOG_TYPES_AS_TEXT: Record<number, number> = { 19: TEXT, 18: TEXT, 1003: TEXT_ARRAY, 1002: TEXT_ARRAY };

type FieldDescription = { dataTypeID: number };
// addFields is pg's internal hook that picks a parser per result column (pg/lib/result.js).
const result = pg.Result.prototype as unknown as { addFields(fields: FieldDescription[]): void };
const addFields = result.addFields;
result.addFields = function (this: unknown, fields: FieldDescription[]) {
  for (const field of fields) field.dataTypeID = CATALOG_TYPES_AS_TEXT[field.dataTypeID] ?? field.dataTypeID;
  return addFields.call(this, fields);
};

function withShadowPoolClosedFirst(factory: PrismaPg): PrismaPg {
  const connectToShadowDb = factory.connectToShadowDb.bind(factory);
  factory.connectToShadowDb = async () => {
    const shadow = await connectToShadowDb();
    const pool = shadow.underlyingDriver() as pg.Pool;
    const dispose = shadow.dispose.bind(shadow);
    const end = pool.end.bind(pool);
    let ended: Promise<void> | undefined;
    pool.end = () => (ended ??= end()); // dispose() ends it again after the DROP; once is enough
    shadow.dispose = async () => {
      await pool.end();
      await dispose();
    };
    return shadow;
  };
  return factory;
}

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  engine: "js",
  experimental: { adapter: true },
  async adapter() {
    const connectionString = process.env.DATABASE_URL;
    if (!connectionString) throw new Error("DATABASE_URL is not set (paperboy sets it before calling the Prisma CLI)");
    const url = new URL(connectionString);
    const factory = new PrismaPg({
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: decodeURIComponent(url.pathname.slice(1)),
      ssl: ["require", "verify-ca", "verify-full"].includes(url.searchParams.get("sslmode") ?? "") ? { rejectUnauthorized: url.searchParams.get("sslmode") !== "require" } : undefined,
      // Idle pooled connections must not keep the CLI alive (10 s by default).
      allowExitOnIdle: true,
    });
    return withShadowPoolClosedFirst(factory);
  },
});
