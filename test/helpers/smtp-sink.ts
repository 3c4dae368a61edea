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

export type Fault = number | "drop-at-rcpt" | "drop-after-data";

export type SmtpScript = {
  /** Reply to RCPT TO for this address with this code (e.g. 550, 450), or undefined to accept. */
  rejectRecipient?: (address: string) => number | undefined;
  /**
   * What to do with the `attempt`-th (1-based) delivery to `address`: a reply code
   * for RCPT TO, drop the connection there, or accept the data and drop the
   * connection instead of answering (the message is kept: it may have arrived).
   */
  fault?: (address: string, attempt: number) => Fault | undefined;
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
      const code = typeof fault === "number" ? fault : script.rejectRecipient?.(address.address);
      if (code === undefined) return callback();
      const error = new Error(`${code === 550 ? "mailbox unavailable" : "try again later"}: ${address.address}`) as Error & { responseCode: number };
      error.responseCode = code;
      callback(error);
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
        callback();
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

/** A header's value as sent (unfolded), read from the raw message rather than a parser's interpretation. */
export function rawHeader(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0]?.replace(/\r?\n[ \t]+/g, " ") ?? "";
  const line = head.split(/\r?\n/).find((candidate) => candidate.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}
