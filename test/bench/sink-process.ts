// A bare SMTP sink in its own process for the benchmark: accepts everything,
// counts messages per recipient and bytes, reports on request over IPC.
import { SMTPServer } from "smtp-server";

const perRecipient = new Map<string, number>();
let messages = 0;
let bytes = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS"],
  logger: false,
  size: 10 * 1024 * 1024,
  onData(stream, session, callback) {
    stream.on("data", (chunk: Buffer) => (bytes += chunk.length));
    stream.on("end", () => {
      messages++;
      for (const rcpt of session.envelope.rcptTo) perRecipient.set(rcpt.address, (perRecipient.get(rcpt.address) ?? 0) + 1);
      callback();
    });
  },
});
server.on("error", () => {});
server.listen(0, "127.0.0.1", () => {
  process.send?.({ port: (server.server.address() as { port: number }).port });
});
process.on("message", (message: { type: string }) => {
  if (message.type === "stats") {
    let duplicates = 0;
    for (const count of perRecipient.values()) if (count > 1) duplicates += count - 1;
    process.send?.({ messages, bytes, recipients: perRecipient.size, duplicates });
  } else if (message.type === "reset") {
    perRecipient.clear();
    messages = 0;
    bytes = 0;
    process.send?.({ ok: true });
  }
});
