// Issue 11.10: PAPERBOY_PORT=abc said "Invalid input: expected number, received
// NaN". Every bad key now says "KEY: <rule>, got <value>" (secrets by length only).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";

const ROOT = new URL("..", import.meta.url);

function problemWith(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    return (error as Error).message;
  }
  return "no error";
}

describe("PAPERBOY_TRUST_PROXY", () => {
  it.each([
    ["false", false],
    ["true", 1],
    ["2", 2],
    ["10.0.0.1, 10.0.0.0/8", "10.0.0.1,10.0.0.0/8"],
  ] as const)("reads %j as %j: never every hop", (value, trust) => {
    expect(loadConfig({ PAPERBOY_TRUST_PROXY: value }).trustProxy).toEqual(trust);
  });
});

describe("PAPERBOY_THUMBNAILS", () => {
  it.each([
    [undefined, ["https://cdn-thumbnails.huggingface.co"]],
    ["off", []],
    ["OFF", []],
    ["https://img.example.org/, http://127.0.0.1:8080", ["https://img.example.org", "http://127.0.0.1:8080"]],
  ] as const)("reads %j as the origins %j", (value, origins) => {
    expect(loadConfig(value === undefined ? {} : { PAPERBOY_THUMBNAILS: value }).thumbnailOrigins).toEqual(origins);
  });

  it.each(["https://img.example.org/thumbs", "ftp://img.example.org", "no", "https://user:pw@img.example.org"])("refuses %j: only whole origins", (value) => {
    expect(problemWith({ PAPERBOY_THUMBNAILS: value })).toMatch(/^Invalid configuration: PAPERBOY_THUMBNAILS: must be off or a comma-separated list of http\(s\) origins/);
  });
});

describe("PAPERBOY_SENDER_ADDRESS", () => {
  it("is read as one line, and is absent when blank", () => {
    expect(loadConfig({ PAPERBOY_SENDER_ADDRESS: " Example Lab,\n 1 Main Street " }).senderAddress).toBe("Example Lab, 1 Main Street");
    expect(loadConfig({ PAPERBOY_SENDER_ADDRESS: "   " }).senderAddress).toBeUndefined();
    expect(loadConfig({}).senderAddress).toBeUndefined();
  });
});

describe("loadConfig names the key, the rule and the value", () => {
  it.each([
    ["PAPERBOY_PORT", "abc", 'PAPERBOY_PORT: must be a whole number from 0 to 65535, got "abc"'],
    ["PAPERBOY_PORT", "70000", 'PAPERBOY_PORT: must be a whole number from 0 to 65535, got "70000"'],
    ["PAPERBOY_PORT", "8080.5", 'PAPERBOY_PORT: must be a whole number from 0 to 65535, got "8080.5"'],
    ["PAPERBOY_LOOKBACK_DAYS", "0", 'PAPERBOY_LOOKBACK_DAYS: must be a whole number from 1 to 31, got "0"'],
    ["PAPERBOY_MAX_PAPERS", "lots", 'PAPERBOY_MAX_PAPERS: must be a whole number from 1 to 50, got "lots"'],
    ["PAPERBOY_WORKERS", "-1", 'PAPERBOY_WORKERS: must be a whole number from 0 to 32, got "-1"'],
    ["PAPERBOY_SMTP_CONCURRENCY", "0", 'PAPERBOY_SMTP_CONCURRENCY: must be a whole number from 1 to 100, got "0"'],
    ["PAPERBOY_ARXIV_INTERVAL_MS", "3s", 'PAPERBOY_ARXIV_INTERVAL_MS: must be a whole number from 0 to 60000, got "3s"'],
    ["PAPERBOY_SMTP_RATE", "fast", 'PAPERBOY_SMTP_RATE: must be a number of messages per second above 0, got "fast"'],
    ["PAPERBOY_SMTP_RATE", "0", 'PAPERBOY_SMTP_RATE: must be a number of messages per second above 0, got "0"'],
    ["PAPERBOY_TRUST_PROXY", "yes", 'PAPERBOY_TRUST_PROXY: must be false, true (one proxy), a number of proxy hops, or a comma-separated list of proxy addresses/CIDRs, got "yes"'],
    ["PAPERBOY_ARXIV_REPLACEMENTS", "1", 'PAPERBOY_ARXIV_REPLACEMENTS: must be true or false, got "1"'],
    ["PAPERBOY_LOG_LEVEL", "verbose", 'PAPERBOY_LOG_LEVEL: must be one of debug, info, warn, error, silent, got "verbose"'],
    ["PAPERBOY_PUBLIC_URL", "papers.example.org", 'PAPERBOY_PUBLIC_URL: must be an http(s) URL, got "papers.example.org"'],
    ["PAPERBOY_HF_URL", "ftp://hf.example", 'PAPERBOY_HF_URL: must be an http(s) URL, got "ftp://hf.example"'],
    ["PAPERBOY_ARXIV_RSS_URL", "rss", 'PAPERBOY_ARXIV_RSS_URL: must be an http(s) URL, got "rss"'],
    ["PAPERBOY_ARXIV_API_URL", "api", 'PAPERBOY_ARXIV_API_URL: must be an http(s) URL, got "api"'],
    ["DATABASE_URL", "mysql://app:hunter2@db/paperboy", 'DATABASE_URL: must start with postgres:// or postgresql://, got "mysql://app:***@db/paperboy"'],
    ["PAPERBOY_SMTP_URL", "http://user:hunter2@smtp.example.org", 'PAPERBOY_SMTP_URL: must start with smtp:// or smtps://, got "http://user:***@smtp.example.org"'],
    ["PAPERBOY_FROM", "paperboy", 'PAPERBOY_FROM: must be an address, e.g. paperboy <digest@example.org>, got "paperboy"'],
    ["PAPERBOY_SECRET", "short-secret", "PAPERBOY_SECRET: must be at least 32 characters, got 12 characters"],
    ["PAPERBOY_WEBHOOK_SECRET", "short", "PAPERBOY_WEBHOOK_SECRET: must be at least 16 characters, got 5 characters"],
    ["PAPERBOY_ADMIN_TOKEN", "short", "PAPERBOY_ADMIN_TOKEN: must be at least 16 characters, got 5 characters"],
    ["PAPERBOY_CRON", "every day", 'PAPERBOY_CRON: must be a cron expression of 5 or 6 fields, e.g. */15 * * * *, got "every day"'],
    ["PAPERBOY_CRON_TIMEZONE", "Mars/Olympus", 'PAPERBOY_CRON_TIMEZONE: must be an IANA time zone such as Europe/Berlin, got "Mars/Olympus"'],
    ["PAPERBOY_SOURCES", "hf,rss", 'PAPERBOY_SOURCES: must be a comma-separated list of hf, arxiv:cs.CL+cs.LG and file:/path/to.json, or none; "rss" is none of these, got "hf,rss"'],
    ["PAPERBOY_DKIM_DOMAIN", "example.org", "PAPERBOY_DKIM_DOMAIN, PAPERBOY_DKIM_SELECTOR, PAPERBOY_DKIM_PRIVATE_KEY: must be set all three or none, got only PAPERBOY_DKIM_DOMAIN"],
  ])("%s=%s", (key, value, message) => {
    expect(problemWith({ [key]: value })).toBe(`Invalid configuration: ${message}`);
  });

  it.each([
    [{ PAPERBOY_EMBEDDINGS_URL: "localhost:11434", PAPERBOY_EMBEDDINGS_MODEL: "m" }, 'PAPERBOY_EMBEDDINGS_URL: must be an http(s) URL, got "localhost:11434"'],
    [{ PAPERBOY_EMBEDDINGS_URL: "http://localhost:11434" }, 'PAPERBOY_EMBEDDINGS_MODEL: must name the embedding model when PAPERBOY_EMBEDDINGS_URL is set (e.g. nomic-embed-text), got ""'],
    [{ PAPERBOY_EMBEDDINGS_MODEL: "m" }, 'PAPERBOY_EMBEDDINGS_URL: must be set when PAPERBOY_EMBEDDINGS_MODEL or _KEY is, got ""'],
  ])("dense embeddings: %j", (env, message) => {
    expect(problemWith(env)).toBe(`Invalid configuration: ${message}`);
  });

  it("turns dense embeddings on with a URL and a model, the key never shown", () => {
    expect(loadConfig({}).embeddings).toBeUndefined();
    expect(loadConfig({ PAPERBOY_EMBEDDINGS_URL: "http://localhost:11434", PAPERBOY_EMBEDDINGS_MODEL: "nomic-embed-text", PAPERBOY_EMBEDDINGS_KEY: "sk-1" }).embeddings).toEqual({
      url: "http://localhost:11434",
      model: "nomic-embed-text",
      key: "sk-1",
    });
    expect(problemWith({ PAPERBOY_EMBEDDINGS_URL: "nope", PAPERBOY_EMBEDDINGS_MODEL: "m", PAPERBOY_EMBEDDINGS_KEY: "sk-secret", PAPERBOY_PORT: "x" })).not.toContain("sk-secret");
  });

  it("names every bad key at once", () => {
    expect(problemWith({ PAPERBOY_PORT: "abc", PAPERBOY_WORKERS: "many" })).toBe(
      'Invalid configuration: PAPERBOY_PORT: must be a whole number from 0 to 65535, got "abc"; PAPERBOY_WORKERS: must be a whole number from 0 to 32, got "many"',
    );
  });

  it("reads a DKIM key file it cannot open as a rule broken, with the path", () => {
    expect(problemWith({ PAPERBOY_DKIM_DOMAIN: "example.org", PAPERBOY_DKIM_SELECTOR: "s1", PAPERBOY_DKIM_PRIVATE_KEY: "/nonexistent/dkim.pem" })).toMatch(
      /^Invalid configuration: PAPERBOY_DKIM_PRIVATE_KEY: must be the PEM key or the path of a readable file, got "\/nonexistent\/dkim\.pem" \(ENOENT/,
    );
  });
});

describe("documented defaults", () => {
  const defaults = loadConfig({});

  it("are the defaults in code: .env.example (issue 11.10: PAPERBOY_SMTP_CONCURRENCY said 10 in the README, 5 in code)", () => {
    const example = readFileSync(new URL(".env.example", ROOT), "utf8");
    // Keys whose commented value is an example rather than the default.
    const examples = new Set([
      "DATABASE_URL",
      "PAPERBOY_SMTP_URL",
      "PAPERBOY_FROM",
      "PAPERBOY_SENDER_ADDRESS",
      "PAPERBOY_PUBLIC_URL",
      "PAPERBOY_SMTP_RATE",
      "PAPERBOY_DKIM_DOMAIN",
      "PAPERBOY_DKIM_SELECTOR",
      "PAPERBOY_DKIM_PRIVATE_KEY",
      "PAPERBOY_EMBEDDINGS_URL",
      "PAPERBOY_EMBEDDINGS_MODEL",
    ]);
    // The last `# KEY=value` line of each key is its setting (earlier ones may be prose).
    const settings = new Map([...example.matchAll(/^# ([A-Z_]+)=(.*)$/gm)].map(([, key, value]) => [key!, value!] as const));
    const documented = [...settings].filter(([key]) => !examples.has(key));
    expect(documented.length).toBeGreaterThan(15);
    for (const [key, value] of documented) expect(loadConfig({ [key]: value }), key).toEqual(defaults);
  });

  it("are the defaults in code: the README's PAPERBOY_SMTP_CONCURRENCY", () => {
    const readme = readFileSync(new URL("README.md", ROOT), "utf8");
    const stated = [...readme.matchAll(/PAPERBOY_SMTP_CONCURRENCY`[^.]*?\((\d+)\s+by default\)/g)].map((match) => Number(match[1]));
    expect(stated.length).toBeGreaterThan(0);
    for (const value of stated) expect(value).toBe(defaults.smtpConcurrency);
  });
});
