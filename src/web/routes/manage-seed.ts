// The manage page's upload: a file of papers (Zotero/Mendeley export or arXiv ids)
// becomes `like:` topics. Multipart is parsed only on this route, with tight limits.
import multipart from "@fastify/multipart";
import type { FastifyInstance } from "fastify";
import { AppError, isAppError } from "../../errors.ts";
import { MAX_SEED_FILE_BYTES } from "../../subscriptions/seed-file.ts";
import { seedTopics, type SeedResult } from "../../subscriptions/seed-topics.ts";
import type { WebDeps } from "../web-deps.ts";
import { authenticate } from "../authenticate.ts";
import { verifyCsrf } from "../csrf.ts";
import { renderManage } from "./manage.ts";

/** Uploads per client address per minute: each may fetch up to 500 papers from arXiv. */
const SEED_LIMIT = { max: 10, timeWindow: 60_000 };

/**
 * POST /manage/seed: a signed manage link, the CSRF field and one file; answers
 * with the manage page and the outcome (400 and the problem for an unreadable file).
 */
export async function registerSeedRoute(app: FastifyInstance, deps: WebDeps): Promise<void> {
  await app.register(async (scope) => {
    // Registered in this scope only: no other route accepts multipart bodies.
    await scope.register(multipart, { attachFieldsToBody: "keyValues", limits: { fileSize: MAX_SEED_FILE_BYTES, files: 1, fields: 2, parts: 3, fieldSize: 1024 } });
    scope.post("/manage/seed", { config: { rateLimit: SEED_LIMIT } }, async (request, reply) => {
      const subscriber = await authenticate(deps, request, "manage");
      verifyCsrf(request);
      const upload = (request.body as { file?: unknown } | undefined)?.file;
      const text = Buffer.isBuffer(upload) ? upload.toString("utf8") : typeof upload === "string" ? upload : "";
      if (text === "") throw new AppError("INVALID_ARGUMENT", "Choose a file to upload: a BibTeX, RIS or CSL-JSON export, or a list of arXiv ids.", { field: "file" });
      let result: SeedResult;
      try {
        result = await seedTopics({ db: deps.db, lookupArxiv: deps.lookupArxiv }, subscriber, text);
      } catch (error) {
        if (!isAppError(error, "INVALID_ARGUMENT") || error.field !== "file") throw error;
        return renderManage(deps, request, reply, subscriber, { errors: { file: `Nothing was added: ${error.message}.` } }, 400);
      }
      return renderManage(deps, request, reply, result.subscriber, { seed: describeSeed(result) });
    });
  });
}

/** The outcome as the page shows it. */
function describeSeed(result: SeedResult) {
  const added = result.added.length;
  const unresolved = result.unresolved.length;
  const summary = [
    `Added ${added} ${added === 1 ? "paper" : "papers"} as topics`,
    result.alreadyFollowed.length > 0 ? `${result.alreadyFollowed.length} you already follow` : undefined,
    unresolved > 0 ? `${unresolved} could not be used:` : undefined,
  ]
    .filter(Boolean)
    .join("; ");
  return { summary: unresolved > 0 ? summary : `${summary}.`, added: result.added, unresolved: result.unresolved, ok: unresolved === 0 };
}
