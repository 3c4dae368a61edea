// A real SMTP server on a loopback port that keeps what it receives and can be
// told to refuse: the far side of every mail test.
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer, type SMTPServerAddress } from "smtp-server";

export type ReceivedMessage = { from: string; to: string[]; raw: string; parsed: ParsedMail };

export type SmtpSink = {
  url: string;
  port: number;
  messages: ReceivedMessage[];
  close(): Promise<void>;
};

/** A reply code (with a stock text), or a whole reply line such as "550 5.7.1 Relaying denied". */
export type Reply = number | `${number} ${string}`;

export type Fault = Reply | "drop-at-rcpt" | "drop-after-data";

export type SmtpScript = {
  /** Reply to RCPT TO for this address with this code or line (e.g. 550, 450, "550 5.1.1 No such user"), or undefined to accept. */
  rejectRecipient?: (address: string) => Reply | undefined;
  /**
   * What to do with the `attempt`-th (1-based) delivery to `address`: a reply code
   * for RCPT TO, drop the connection there, or accept the data and drop the
   * connection instead of answering (the message is kept: it may have arrived).
   */
  fault?: (address: string, attempt: number) => Fault | undefined;
  /** Answer the end of DATA this much later: a slow relay. */
  dataDelayMs?: number;
};

/** Starts the sink on `port` (0: any free one; a fixed one brings a closed sink back up where clients expect it). */
export async function startSmtpSink(script: SmtpScript = {}, port = 0): Promise<SmtpSink> {
  const messages: ReceivedMessage[] = [];
  const attempts = new Map<string, number>();
  const faults = new Map<string, Fault | undefined>(); // by session id
  const dropSession = (sessionId: string) => {
    for (const connection of (server as unknown as { connections: Set<{ session: { id: string }; _socket: { destroy(): void } }> }).connections) {
      if (connection.session.id === sessionId) connection._socket.destroy();
    }
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(address: SMTPServerAddress, session, callback) {
      const attempt = (attempts.get(address.address) ?? 0) + 1;
      attempts.set(address.address, attempt);
      const fault = script.fault?.(address.address, attempt);
      faults.set(session.id, fault);
      if (fault === "drop-at-rcpt") return dropSession(session.id);
      const reply = fault !== undefined && fault !== "drop-after-data" ? fault : script.rejectRecipient?.(address.address);
      if (reply === undefined) return callback();
      callback(replyError(reply, address.address));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", async () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw,
          parsed: await simpleParser(raw),
        });
        if (faults.get(session.id) === "drop-after-data") return dropSession(session.id);
        if (script.dataDelayMs) setTimeout(callback, script.dataDelayMs);
        else callback();
      });
    },
  });
  // Clients that vanish mid-session (killed workers, dropped connections) are part of the tests.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const listening = (server.server.address() as { port: number }).port;
  return {
    url: `smtp://127.0.0.1:${listening}`,
    port: listening,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function replyError(reply: Reply, address: string): Error & { responseCode: number } {
  const code = typeof reply === "number" ? reply : Number(reply.slice(0, 3));
  const text = typeof reply === "number" ? `${code === 550 ? "mailbox unavailable" : "try again later"}: ${address}` : reply.slice(4);
  return Object.assign(new Error(text), { responseCode: code });
}

/** A header's value as sent (unfolded), read from the raw message rather than a parser's interpretation. */
export function rawHeader(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0]?.replace(/\r?\n[ \t]+/g, " ") ?? "";
  const line = head.split(/\r?\n/).find((candidate) => candidate.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}
