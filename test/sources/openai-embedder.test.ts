import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isAppError } from "../../src/errors.ts";
import { cosine } from "../../src/matching/embedder.ts";
import { createOpenAiEmbedder, embeddingsEndpoint } from "../../src/sources/openai-embedder.ts";
import { startEmbeddingsServer, type EmbeddingsServer } from "../helpers/embeddings-server.ts";

let server: EmbeddingsServer;
beforeAll(async () => {
  server = await startEmbeddingsServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.setMode("up");
});

const reply =
  (body: unknown, status = 200) =>
  () => ({ status, body: typeof body === "string" ? body : JSON.stringify(body) });

describe("embeddingsEndpoint", () => {
  it.each([
    ["http://localhost:11434", "http://localhost:11434/v1/embeddings"],
    ["http://localhost:11434/", "http://localhost:11434/v1/embeddings"],
    ["http://localhost:8080/v1", "http://localhost:8080/v1/embeddings"],
    ["https://api.openai.com/v1/", "https://api.openai.com/v1/embeddings"],
  ])("%s → %s", (url, endpoint) => {
    expect(embeddingsEndpoint(url)).toBe(endpoint);
  });
});

describe("createOpenAiEmbedder", () => {
  it("posts {model, input} with the bearer key and returns one vector per text, in order", async () => {
    const embedder = createOpenAiEmbedder({ url: `${server.url}/v1`, model: "fake-embed", key: "sk-test" });
    const [a, b, c] = await embedder.embed(["robot grasping", "gripper manipulation", "protein folding"]);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ path: "/v1/embeddings", model: "fake-embed", input: ["robot grasping", "gripper manipulation", "protein folding"] });
    expect(server.requests[0]!.headers.authorization).toBe("Bearer sk-test");
    expect(a).toHaveLength(256);
    expect(cosine(a!, b!)).toBeGreaterThan(0.9); // the fake model's concepts: all "robotics"
    expect(cosine(a!, c!)).toBeLessThan(0.3);
  });

  it("sends no Authorization header without a key", async () => {
    await createOpenAiEmbedder({ url: server.url, model: "m" }).embed(["x y z"]);
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });

  it("splits the texts into batches and keeps their order", async () => {
    const texts = Array.from({ length: 7 }, (_, i) => `text number ${"abcdefg"[i]}`);
    const vectors = await createOpenAiEmbedder({ url: server.url, model: "m", batchSize: 3 }).embed(texts);
    expect(server.requests.map((request) => request.input.length)).toEqual([3, 3, 1]);
    const single = await createOpenAiEmbedder({ url: server.url, model: "m" }).embed([texts[5]!]);
    expect(cosine(vectors[5]!, single[0]!)).toBeCloseTo(1, 6);
  });

  it("puts the vectors in the order of their index, not of the list", async () => {
    server.setMode(
      reply({
        data: [
          { index: 1, embedding: [0, 1] },
          { index: 0, embedding: [1, 0] },
        ],
      }),
    );
    const [first, second] = await createOpenAiEmbedder({ url: server.url, model: "m" }).embed(["a", "b"]);
    expect([...first!]).toEqual([1, 0]);
    expect([...second!]).toEqual([0, 1]);
  });

  it.each([
    ["not JSON", "<html>oops</html>", /not JSON/],
    ["no data", { error: "x" }, /no data array/],
    ["too few vectors", { data: [{ index: 0, embedding: [1, 2] }] }, /1 vectors for 2 inputs/],
    [
      "unequal lengths",
      {
        data: [
          { index: 0, embedding: [1, 2] },
          { index: 1, embedding: [1] },
        ],
      },
      /different lengths/,
    ],
    [
      "a string value",
      {
        data: [
          { index: 0, embedding: [1, "2"] },
          { index: 1, embedding: [1, 2] },
        ],
      },
      /not a finite number/,
    ],
    [
      "a repeated index",
      {
        data: [
          { index: 0, embedding: [1, 2] },
          { index: 0, embedding: [1, 2] },
        ],
      },
      /repeated index/,
    ],
    [
      "base64",
      {
        data: [
          { index: 0, embedding: "AAAA" },
          { index: 1, embedding: "AAAA" },
        ],
      },
      /no embedding array/,
    ],
  ])("rejects an answer with %s as EMBEDDINGS_MALFORMED", async (_, body, message) => {
    server.setMode(reply(body));
    const failure = await createOpenAiEmbedder({ url: server.url, model: "m" })
      .embed(["a", "b"])
      .catch((error: unknown) => error);
    expect(isAppError(failure, "EMBEDDINGS_MALFORMED")).toBe(true);
    expect(String((failure as Error).message)).toMatch(message);
  });

  it("names the HTTP status and the server's words for a refused request", async () => {
    server.setMode(reply({ error: { message: 'model "nope" not found' } }, 404));
    await expect(createOpenAiEmbedder({ url: server.url, model: "nope" }).embed(["a"])).rejects.toThrow(/answered HTTP 404 Not Found: .*model \\"nope\\" not found/);
    server.setMode("down");
    await expect(createOpenAiEmbedder({ url: server.url, model: "m" }).embed(["a"])).rejects.toMatchObject({ code: "EMBEDDINGS_UNAVAILABLE", permanent: false });
  });

  it("says so when nothing listens, or the server does not answer in time", async () => {
    const gone = await startEmbeddingsServer();
    await gone.close();
    await expect(createOpenAiEmbedder({ url: gone.url, model: "m" }).embed(["a"])).rejects.toThrow(/connection refused by 127\.0\.0\.1:\d+/);
    const hung = createOpenAiEmbedder({
      url: server.url,
      model: "m",
      timeoutMs: 50,
      fetch: (_, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason))),
    });
    await expect(hung.embed(["a"])).rejects.toThrow(/no answer within 0\.1 s \(timeout\)/);
  });
});
