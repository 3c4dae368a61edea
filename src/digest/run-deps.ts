// What a digest run is built from: the database, the mailer, the templates and settings.
import type { Db } from "../db/client.ts";
import type { Mailer } from "../delivery/mailer.ts";
import type { Log } from "../log.ts";
import type { Embedder } from "../matching/embedder.ts";
import type { Templates } from "../rendering/templates.ts";
import type { ThumbnailSettings } from "../sources/thumbnails.ts";
import type { MailSettings } from "../subscriptions/links.ts";

export type RunDeps = {
  db: Db;
  mailer: Mailer;
  templates: Templates;
  log: Log;
  now: () => Date;
  mail: MailSettings;
  lookbackDays: number;
  /** Set when dense embeddings are on (PAPERBOY_EMBEDDINGS_URL). */
  embedder?: Embedder;
  /** Where thumbnails are fetched from at ingest (PAPERBOY_THUMBNAILS). */
  thumbnails?: ThumbnailSettings;
};
