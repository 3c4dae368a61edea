// Paper thumbnails for tests: the Hugging Face CDN stands in as a local fixture
// server serving PNGs shaped like its social thumbnails (no real image can be
// recorded here: the machine has no internet).
import sharp from "sharp";
import type { Db } from "../../src/db/client.ts";
import type { ThumbnailSettings } from "../../src/sources/thumbnails.ts";
import type { FixtureServer } from "./fixture-server.ts";

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** A 1200×648 PNG like the listing's social thumbnails: the paper's title on a card, rendered from SVG. */
export async function socialThumbnail(title: string): Promise<Buffer> {
  const words = title.split(/\s+/);
  const lines: string[] = [];
  for (const word of words) {
    const last = lines.at(-1);
    if (last !== undefined && `${last} ${word}`.length <= 30) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  const text = lines
    .slice(0, 4)
    .map((line, i) => `<text x="72" y="${200 + i * 76}" font-family="sans-serif" font-size="56" font-weight="700" fill="#1f2328">${escapeXml(line)}</text>`)
    .join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="648"><rect width="1200" height="648" fill="#fff7e6"/><rect x="40" y="40" width="1120" height="568" rx="24" fill="#ffffff" stroke="#f5c26b" stroke-width="4"/><text x="72" y="110" font-family="sans-serif" font-size="32" fill="#9a6700">Daily Papers</text>${text}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/**
 * Points every stored paper's thumbnail at `server` (the CDN path kept) and has the
 * server answer each with socialThumbnail(its title). Returns the settings that
 * allow fetching from it.
 */
export async function serveThumbnails(db: Db, server: FixtureServer): Promise<ThumbnailSettings> {
  const papers = await db.paper.findMany({ where: { thumbnailUrl: { not: null } }, select: { id: true, arxivId: true, title: true, thumbnailUrl: true } });
  const images = new Map<string, Buffer>();
  for (const paper of papers) {
    const path = new URL(paper.thumbnailUrl!).pathname;
    images.set(path, await socialThumbnail(paper.title));
    await db.paper.update({ where: { id: paper.id }, data: { thumbnailUrl: `${server.url}${path}` } });
  }
  server.handle((url) => {
    const image = images.get(url.pathname);
    return image ? { headers: { "content-type": "image/png" }, body: image } : undefined;
  });
  return { origins: [server.url] };
}
