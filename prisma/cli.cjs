// Runs the Prisma CLI with the offline workarounds for Prisma 6.19 that are not
// in prisma.config.ts. Usage: node prisma/cli.cjs <prisma args…>. Delete this file
// (and the workarounds in prisma.config.ts) the day Prisma no longer needs them.
//
// 1. Without PRISMA_QUERY_ENGINE_LIBRARY pointing at an existing file, the CLI
//    tries to download a Rust query engine that the Rust-free client never uses,
//    and fails offline with a network error that hides the real problem.
// 2. The wasm schema engine leaves long timers that keep the CLI alive 10-60 s
//    after its work is done; unref'ing them lets `migrate deploy` exit in ~1 s.
"use strict";
process.env.PRISMA_QUERY_ENGINE_LIBRARY ||= __filename;
process.env.PRISMA_HIDE_UPDATE_MESSAGE = "1";
process.env.CHECKPOINT_DISABLE = "1";

for (const name of ["setTimeout", "setInterval"]) {
  const original = globalThis[name];
  globalThis[name] = function (fn, ms, ...args) {
    const timer = original(fn, ms, ...args);
    if ((name === "setInterval" || ms >= 1000) && typeof timer?.unref === "function") timer.unref();
    return timer;
  };
}

if (require.main === module) {
  // The CLI only runs as the main module, so run it as a child with this file preloaded.
  const { spawnSync } = require("node:child_process");
  let args = process.argv.slice(2);
  // paperboy passes the database URL on stdin, so that its password never shows in a process list.
  if (args[0] === "--database-url-on-stdin") {
    process.env.DATABASE_URL = require("node:fs").readFileSync(0, "utf8").trim();
    args = args.slice(1);
  }
  const cli = require.resolve("prisma/build/index.js");
  const result = spawnSync(process.execPath, ["--require", __filename, cli, ...args], { stdio: "inherit" });
  process.exit(result.status ?? 1);
}
