// A local HTTP server on port 0 standing in for huggingface.co and arxiv.org:
// it replays recorded responses (or broken variants) and records every request.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

/** `stall`: accept the request and never answer (a hung server). */
export type Reply = { status?: number; headers?: Record<string, string>; body?: string | Buffer; destroy?: "mid-body"; stall?: true };
export type Handler = (url: URL, request: IncomingMessage) => Reply | undefined;

export type FixtureServer = { url: string; requests: Array<{ path: string; headers: IncomingMessage["headers"] }>; handle(handler: Handler): void; close(): Promise<void> };

export async function startFixtureServer(initial?: Handler): Promise<FixtureServer> {
  let handler: Handler = initial ?? (() => undefined);
  const requests: FixtureServer["requests"] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://fixture");
    requests.push({ path: `${url.pathname}${url.search}`, headers: request.headers });
    const reply = handler(url, request) ?? { status: 404, body: "no fixture for this request" };
    if (reply.stall) return;
    const body = reply.body ?? "";
    if (reply.destroy === "mid-body") {
      // a truncated body: headers promise more than is sent, then the connection ends
      response.writeHead(reply.status ?? 200, { "content-length": String(Buffer.byteLength(body) * 2), ...reply.headers });
      response.write(body.slice(0, Math.floor(body.length / 2)), () => response.socket?.destroy());
      return;
    }
    response.writeHead(reply.status ?? 200, reply.headers ?? {});
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(next) {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // stalled requests would hold close() open
      }),
  };
}
