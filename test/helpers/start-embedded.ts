// Child process for the stale-server test: starts the embedded server in argv[2],
// prints its URL, then waits to be killed.
import { startEmbeddedPostgres } from "../../src/db/embedded-postgres.ts";

const server = await startEmbeddedPostgres(process.argv[2]!);
process.stdout.write(`${server.url}\n`);
setInterval(() => {}, 1 << 30);
