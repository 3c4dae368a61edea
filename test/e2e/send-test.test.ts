// `paperboy send-test <email>` against a real SMTP server that accepts, refuses,
// or is not there: the operator's check of their mail settings.
import { createServer } from "node:net";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { runCli } from "../helpers/run-cli.ts";
import { rawHeader, startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.ts";

let test: TestDatabase;
let sink: SmtpSink;
let env: Record<string, string>;

beforeAll(async () => {
  test = await createTestDatabase();
  sink = await startSmtpSink({ rejectRecipient: (address) => (address.startsWith("nobody@") ? "550 5.1.1 No such user here" : address.startsWith("later@") ? 451 : undefined) });
  const dir = await mkdtemp(path.join(tmpdir(), "paperboy-send-test-"));
  env = { DATABASE_URL: test.url, PAPERBOY_DATA_DIR: dir, PAPERBOY_SECRET: "send-test-secret".padEnd(40, "z"), PAPERBOY_SMTP_URL: sink.url, PAPERBOY_FROM: "Lab digest <digest@lab.example.org>" };
});
afterAll(async () => {
  await sink?.close();
  await test?.drop();
});

describe("paperboy send-test", () => {
  it("sends one digest-shaped message through the configured server and prints its reply; records nothing", async () => {
    const result = await runCli(["send-test", "Ops@Lab.example.org"], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Sent "\[test\] .+" \(\d+ kB\) to ops@lab\.example\.org via smtp:\/\/127\.0\.0\.1:\d+/);
    expect(result.stdout).toMatch(/reply: 250 /);
    const [message] = sink.messages.filter((received) => received.to.includes("ops@lab.example.org"));
    expect(message).toBeDefined();
    expect(message!.parsed.subject).toMatch(/^\[test\] /);
    expect(message!.parsed.html).toContain("A test of the mail settings of this instance");
    expect(message!.parsed.text).toContain("A test of the mail settings of this instance");
    expect(rawHeader(message!.raw, "List-Unsubscribe")).toBeDefined();
    expect(result.stdout).toContain(`Message-ID: ${message!.parsed.messageId}`);
    expect(await test.db.delivery.count()).toBe(0);
    expect(await test.db.subscriber.count()).toBe(0);
  });

  it("names the class of a refusal and whether trying again can help (exit 1)", async () => {
    const refused = await runCli(["send-test", "nobody@lab.example.org"], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/RECIPIENT_REJECTED \(permanent\) — SMTP 550: .*No such user here/);
    const later = await runCli(["send-test", "later@lab.example.org"], env);
    expect(later.code).toBe(1);
    expect(later.stderr).toMatch(/SMTP_TEMPORARY \(temporary: a later try may work\) — SMTP 451/);
  });

  it("says when there is no server to talk to", async () => {
    // A port nothing listens on: taken, then released.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const result = await runCli(["send-test", "ops@lab.example.org"], { ...env, PAPERBOY_SMTP_URL: `smtp://127.0.0.1:${port}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/SMTP_UNAVAILABLE \(temporary: a later try may work\) — SMTP server unavailable: .*ECONNREFUSED/);
  });
});
