// The real web app on a loopback port, with a fresh database and a real SMTP
// sink; links in the emails it sends point back at it.
import type { FastifyInstance } from "fastify";
import { expect } from "vitest";
import { createSmtpMailer } from "../../src/delivery/smtp-mailer.ts";
import type { Mailer } from "../../src/delivery/mailer.ts";
import { SAMPLE_FILES } from "../../src/cli/demo.ts";
import { silentLog } from "../../src/log.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { signToken } from "../../src/subscriptions/tokens.ts";
import { loadTemplates } from "../../src/rendering/templates.ts";
import { createApp } from "../../src/web/app.ts";
import type { WebDeps } from "../../src/web/web-deps.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";
import { startSmtpSink, type ReceivedMessage, type SmtpScript, type SmtpSink } from "./smtp-sink.ts";

export type TestApp = {
  baseUrl: string;
  app: FastifyInstance;
  sink: SmtpSink;
  test: TestDatabase;
  deps: WebDeps & { mailer: Mailer };
  /** Waits until every stored subscribe request has been processed (its email sent, or not). */
  settle(): Promise<void>;
  /** Links (href or plain-text URLs) to this app found in a received message. */
  linksIn(message: ReceivedMessage, path: string): string[];
  close(): Promise<void>;
};

export const TEST_SECRET = "web-test-secret".padEnd(40, "w");

export async function startTestApp(
  options: { subscribeLimit?: WebDeps["subscribeLimit"]; now?: () => Date; trustProxy?: WebDeps["trustProxy"]; smtp?: SmtpScript; lookupArxiv?: WebDeps["lookupArxiv"] } = {},
): Promise<TestApp> {
  const test = await createTestDatabase();
  const sink = await startSmtpSink(options.smtp);
  const templates = await loadTemplates();
  const mailer = createSmtpMailer({ url: sink.url });
  const deps: WebDeps & { mailer: Mailer } = {
    db: test.db,
    mailer,
    templates,
    mail: { secret: TEST_SECRET, publicUrl: "", from: "paperboy <digest@paperboy.example>", listName: "paperboy" },
    now: options.now ?? (() => new Date()),
    log: silentLog,
    lookbackDays: 2,
    subscribeLimit: options.subscribeLimit ?? { max: 1000, windowMs: 60_000 },
    trustProxy: options.trustProxy,
    lookupArxiv: options.lookupArxiv,
  };
  // The public URL is only known once listening; the app reads deps.mail when it builds links.
  const app = await createApp(deps);
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  deps.mail.publicUrl = address;
  return {
    baseUrl: address,
    app,
    sink,
    test,
    deps,
    async settle() {
      await expect.poll(() => test.db.subscribeRequest.count(), { interval: 20 }).toBe(0);
    },
    linksIn(message, path) {
      const text = `${message.parsed.text ?? ""}\n${String(message.parsed.html ?? "")
        .replaceAll("&#x3D;", "=")
        .replaceAll("&amp;", "&")}`;
      return [...new Set(text.match(new RegExp(`${address.replace(/[.]/g, "\\.")}${path}\\?[^\\s"<>]+`, "g")) ?? [])];
    },
    async close() {
      await app.close();
      await mailer.close();
      await sink.close();
      await test.drop();
    },
  };
}

/** A page's CSRF cookie and form token, as a browser would hold them. */
export async function openForm(baseUrl: string, path: string): Promise<{ cookie: string; csrf: string; html: string }> {
  const response = await fetch(`${baseUrl}${path}`);
  const html = await response.text();
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  return { cookie, csrf, html };
}

/** POSTs an urlencoded form like a browser, without following redirects. */
export function postForm(url: string, fields: Record<string, string | string[]>, cookie = ""): Promise<Response> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const item of [value].flat()) body.append(name, item);
  return fetch(url, { method: "POST", body, headers: { cookie, accept: "text/html" }, redirect: "manual" });
}

/** The sample papers ingested and one reader, ada@example.org following "agents", with a manage token: what the manage page tests start from. */
export async function addSampleReader(t: TestApp): Promise<{ subscriberId: number; token: string }> {
  await ingestBatch(t.test.db, await createJsonFileSource(SAMPLE_FILES).fetchPapers());
  const ada = await addSubscriber(t.test.db, { email: "ada@example.org", topics: ["agents"], source: "cli" }, new Date());
  return { subscriberId: ada.id, token: signToken(TEST_SECRET, "manage", { subscriberId: ada.id, tokenVersion: 1 }, new Date()) };
}
