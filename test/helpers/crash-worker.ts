// Child process for the crash test: one worker delivering one big batch, with its
// clock `offsetMs` ahead (so claims left by a killed predecessor have expired).
// Usage: node --import tsx crash-worker.ts <databaseUrl> <smtpUrl> <offsetMs>
import { createDb } from "../../src/db/client.ts";
import { createSmtpMailer } from "../../src/delivery/smtp-mailer.ts";
import { batchCounts, processBatch } from "../../src/digest/worker.ts";
import { silentLog } from "../../src/log.ts";
import { loadTemplates } from "../../src/rendering/templates.ts";

const [databaseUrl, smtpUrl, offset] = process.argv.slice(2) as [string, string, string];
const db = createDb(databaseUrl);
const mailer = createSmtpMailer({ url: smtpUrl, maxConnections: 5 });
const ids = (await db.subscriber.findMany({ select: { id: true }, orderBy: { id: "asc" } })).map((row) => row.id);
const result = batchCounts(
  await processBatch(
    {
      db,
      mailer,
      templates: await loadTemplates(),
      log: silentLog,
      now: () => new Date(Date.now() + Number(offset)),
      mail: { secret: "crash-secret".padEnd(40, "c"), publicUrl: "https://paperboy.example", from: "paperboy <digest@paperboy.example>", listName: "paperboy" },
      lookbackDays: 2,
      concurrency: 5,
    },
    { digestKey: "daily:2026-05-14", day: "2026-05-14", ids },
  ),
);
process.stdout.write(`${JSON.stringify(result)}\n`);
await mailer.close();
await db.$disconnect();
