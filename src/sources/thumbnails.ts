// Paper thumbnails (Paper.thumbnailUrl, the Hugging Face listing's image) fetched
// after ingest from the allowed origins only, scaled to a small JPEG and stored, so
// that an email or a page loads them from the instance and never from a third party.
import type { Db } from "../db/client.ts";
import { describeError } from "../errors.ts";
import { fetchBody } from "./http.ts";

export type ThumbnailSettings = {
  /** Origins images may be fetched from, e.g. https://cdn-thumbnails.huggingface.co; empty: none are fetched. */
  origins: string[];
  /** Injected so tests can serve recorded responses; defaults to global fetch. */
  fetch?: typeof fetch;
};

export type ThumbnailResult = { stored: number; failed: number; error?: string };

/** Twice the email card's 566 CSS pixels, for sharp screens. */
export const THUMBNAIL_WIDTH = 1132;
const QUALITY = 72;
/** Papers per call, newest first. */
const PER_CALL = 200;
/** Only papers featured this recently: older ones are no longer mailed. */
const RECENT_DAYS = 14;
const CONCURRENCY = 4;
const MAX_ATTEMPTS = 3;
const RETRY_AFTER_MS = 60 * 60 * 1000;
const TIMEOUT_MS = 15_000;
const MAX_BYTES = 5 * 1024 * 1024;
/** A larger image (a decompression bomb) is refused before it is decoded. */
const MAX_PIXELS = 40_000_000;
/** Failures in a row that end the call: the origin is down or unreachable from here. */
const GIVE_UP_AFTER = 3;

/**
 * Fetches, scales and stores the thumbnails of recently featured papers that have
 * none yet (a failed one is tried again an hour later, three times at most). One
 * bad image or reply is recorded on its paper and never stops the rest; three
 * failures in a row end the call (the result says why). Never throws for a fetch.
 */
export async function fetchThumbnails(db: Db, settings: ThumbnailSettings, now: Date): Promise<ThumbnailResult> {
  const result: ThumbnailResult = { stored: 0, failed: 0 };
  if (settings.origins.length === 0) return result;
  const papers = await db.$queryRawUnsafe<Array<{ id: number; thumbnailUrl: string }>>(
    `SELECT p.id, p."thumbnailUrl" FROM "Paper" p LEFT JOIN "Thumbnail" t ON t."paperId" = p.id
     WHERE p."thumbnailUrl" IS NOT NULL AND p."featuredOn" >= $1::date
       AND (t."paperId" IS NULL OR (t.bytes IS NULL AND t.attempts < ${MAX_ATTEMPTS} AND t."checkedAt" < $2))
     ORDER BY p.id DESC LIMIT ${PER_CALL}`,
    new Date(now.getTime() - RECENT_DAYS * 86_400_000),
    new Date(now.getTime() - RETRY_AFTER_MS),
  );
  let inARow = 0;
  let next = 0;
  const work = async () => {
    while (next < papers.length && inARow < GIVE_UP_AFTER) {
      const paper = papers[next++]!;
      const outcome = await thumbnailOf(paper.thumbnailUrl, settings);
      if ("error" in outcome) {
        result.failed++;
        result.error = outcome.error;
        if (!outcome.final) inARow++;
      } else {
        result.stored++;
        inARow = 0;
      }
      const row = "error" in outcome ? { bytes: null, width: null, height: null, error: outcome.error } : { ...outcome, error: null };
      const attempts = "error" in outcome && outcome.final ? MAX_ATTEMPTS : 1;
      await db.thumbnail.upsert({
        where: { paperId: paper.id },
        create: { paperId: paper.id, ...row, attempts, checkedAt: now },
        update: { ...row, attempts: attempts === MAX_ATTEMPTS ? attempts : { increment: 1 }, checkedAt: now },
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, work));
  if (inARow >= GIVE_UP_AFTER) result.error = `stopped after ${GIVE_UP_AFTER} failures in a row: ${result.error}`;
  return result;
}

type Outcome = { bytes: Uint8Array<ArrayBuffer>; width: number; height: number } | { error: string; final: boolean };

async function thumbnailOf(url: string, settings: ThumbnailSettings): Promise<Outcome> {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    return { error: `not a URL: ${url.slice(0, 200)}`, final: true };
  }
  if (!settings.origins.includes(origin)) return { error: `${origin} is not an allowed thumbnail origin (PAPERBOY_THUMBNAILS)`, final: true };
  try {
    const { body, contentType } = await fetchBody(url, { fetch: settings.fetch, retries: 0, timeoutMs: TIMEOUT_MS, maxBytes: MAX_BYTES, redirect: "error" });
    if (!/^image\//i.test(contentType)) return { error: `${url} answered with ${contentType || "no Content-Type"}, not an image`, final: false };
    return await scale(body);
  } catch (error) {
    return { error: describeError(error), final: false };
  }
}

/** The image as a JPEG at most THUMBNAIL_WIDTH wide (transparency on white); throws for data that is not an image sharp can read. */
export async function scale(image: Buffer): Promise<{ bytes: Uint8Array<ArrayBuffer>; width: number; height: number }> {
  const { default: sharp } = await import("sharp");
  const { data, info } = await sharp(image, { limitInputPixels: MAX_PIXELS, failOn: "error" })
    .resize({ width: THUMBNAIL_WIDTH, withoutEnlargement: true })
    .flatten({ background: "#ffffff" })
    .jpeg({ quality: QUALITY, progressive: true, mozjpeg: true })
    .toBuffer({ resolveWithObject: true });
  return { bytes: new Uint8Array(data), width: info.width, height: info.height };
}
