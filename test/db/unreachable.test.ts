// Which errors mean "the database is not there now": they become 503 pages and
// one log line a minute instead of 500s and a crash (issue 12.3).
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client.ts";
import { createOutageReporter, isDatabaseUnreachable } from "../../src/db/unreachable.ts";
import { AppError } from "../../src/errors.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

let test: TestDatabase;
beforeAll(async () => {
  test = await createTestDatabase();
});
afterAll(async () => {
  await test.drop();
});

const CLOSED = "postgres://postgres:x@127.0.0.1:1/paperboy"; // nothing listens on port 1

describe("isDatabaseUnreachable", () => {
  it("recognises a refused connection as pg and as Prisma report it", async () => {
    const client = new pg.Client({ connectionString: CLOSED });
    const pgError = await client.connect().catch((error: unknown) => error);
    expect(isDatabaseUnreachable(pgError)).toBe(true);

    const db = createDb(CLOSED);
    const prismaError = await db.subscriber.count().catch((error: unknown) => error);
    await db.$disconnect();
    expect(isDatabaseUnreachable(prismaError)).toBe(true);
  });

  it("does not take a real query error for an outage", async () => {
    await test.db.subscriber.create({ data: { email: "twice@example.org" } });
    const duplicate = await test.db.subscriber.create({ data: { email: "twice@example.org" } }).catch((error: unknown) => error);
    expect(isDatabaseUnreachable(duplicate)).toBe(false);
    const syntax = await test.db.$queryRawUnsafe("SELEC 1").catch((error: unknown) => error);
    expect(isDatabaseUnreachable(syntax)).toBe(false);
  });

  it.each([
    ["a server shutting down (57P01, as the driver adapter wraps it)", { name: "DriverAdapterError", cause: { kind: "postgres", code: "57P01", originalCode: "57P01" } }, true],
    ["a server starting up (57P03)", Object.assign(new Error("the database system is starting up"), { code: "57P03" }), true],
    ["a connection exception (SQLSTATE class 08)", Object.assign(new Error("connection failure"), { code: "08006" }), true],
    ["a connection that died under a query", new Error("Connection terminated unexpectedly"), true],
    ["Prisma's P1017 (server closed the connection)", Object.assign(new Error("Server has closed the connection."), { code: "P1017" }), true],
    ["the embedded server failing to start", new AppError("DATABASE_UNAVAILABLE", "Could not start PostgreSQL"), true],
    ["a wrapped refusal", new Error("outer", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) }), true],
    ["a bug", new TypeError("x is undefined"), false],
    ["not found", new AppError("NOT_FOUND", "no such subscriber"), false],
    ["nothing", undefined, false],
  ])("%s → %s", (_name, error, expected) => {
    expect(isDatabaseUnreachable(error)).toBe(expected);
  });
});

describe("createOutageReporter", () => {
  it("logs the first error of an outage, then at most one a minute", () => {
    const lines: string[] = [];
    let now = 0;
    const log = { debug() {}, info() {}, warn: (line: string) => void lines.push(line), error() {} };
    const report = createOutageReporter(log, "queue", () => now);
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    for (now = 0; now < 59_000; now += 1_000) report(refused);
    expect(lines).toEqual(["queue: the database is unreachable (connect ECONNREFUSED 127.0.0.1:5432); retrying"]);
    now = 60_000;
    report(refused);
    expect(lines).toHaveLength(2);
  });
});
