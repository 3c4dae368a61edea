// A local HTTP server that answers like OpenAI's POST /v1/embeddings, with
// deterministic vectors: a hashed bag of words. Each word of the input (letters,
// lowercased, 3+ characters) is mapped through CONCEPTS — so "manipulator" and
// "grasping" count as "robotics", standing in for what a real model knows about
// meaning — then hashed (FNV-1a) to one of `dimensions` coordinates, and the vector
// is l2-normalised. Texts sharing words or concepts get similar vectors; texts
// sharing none are near orthogonal. Records every request; can be made to fail.
import { createServer, type IncomingHttpHeaders } from "node:http";

const CONCEPTS: Record<string, string> = {
  robot: "robotics",
  robots: "robotics",
  robotic: "robotics",
  manipulator: "robotics",
  manipulators: "robotics",
  manipulation: "robotics",
  grasping: "robotics",
  gripper: "robotics",
  grippers: "robotics",
  arm: "robotics",
  arms: "robotics",
};

export type EmbeddingsRequest = { path: string; headers: IncomingHttpHeaders; model: unknown; input: string[] };
/** "down": every request is answered 503; a function answers instead of the model (status and raw body). */
export type EmbeddingsMode = "up" | "down" | ((input: string[]) => { status: number; body: string });

export type EmbeddingsServer = { url: string; requests: EmbeddingsRequest[]; setMode(mode: EmbeddingsMode): void; inputs(): string[]; close(): Promise<void> };

/** Starts the server on 127.0.0.1, port 0. */
export async function startEmbeddingsServer(options: { dimensions?: number } = {}): Promise<EmbeddingsServer> {
  const dimensions = options.dimensions ?? 256;
  let mode: EmbeddingsMode = "up";
  const requests: EmbeddingsRequest[] = [];
  const server = createServer(async (request, response) => {
    let body = "";
    for await (const chunk of request) body += chunk;
    const parsed = JSON.parse(body || "{}") as { model?: unknown; input?: unknown };
    const input = Array.isArray(parsed.input) ? (parsed.input as string[]) : [String(parsed.input)];
    requests.push({ path: request.url ?? "", headers: request.headers, model: parsed.model, input });
    const reply = request.url !== "/v1/embeddings" || request.method !== "POST" ? { status: 404, body: "not found" } : answer(mode, input, parsed.model, dimensions);
    response.writeHead(reply.status, { "content-type": "application/json" });
    response.end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setMode(next) {
      mode = next;
    },
    inputs: () => requests.flatMap((request) => request.input),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function answer(mode: EmbeddingsMode, input: string[], model: unknown, dimensions: number): { status: number; body: string } {
  if (mode === "down") return { status: 503, body: JSON.stringify({ error: { message: "model is loading" } }) };
  if (typeof mode === "function") return mode(input);
  const data = input.map((text, index) => ({ object: "embedding", index, embedding: [...embedText(text, dimensions)] }));
  return { status: 200, body: JSON.stringify({ object: "list", data, model, usage: { prompt_tokens: 0, total_tokens: 0 } }) };
}

/** The fake model: the hashed, l2-normalised bag of concepts of `text`. */
export function embedText(text: string, dimensions = 256): Float32Array {
  const vector = new Float32Array(dimensions);
  for (const word of text.toLowerCase().match(/\p{L}{3,}/gu) ?? []) vector[hash(CONCEPTS[word] ?? word) % dimensions]! += 1;
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}

function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
