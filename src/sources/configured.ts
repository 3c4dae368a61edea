// Builds the sources named in PAPERBOY_SOURCES, e.g. "hf,arxiv:cs.CL+cs.LG,file:/srv/today.json".
import { AppError } from "../errors.ts";
import type { Log } from "../log.ts";
import { createArxivLookup, createArxivSource, type ArxivLookup } from "./arxiv.ts";
import { createHfSource } from "./hf-api.ts";
import type { HttpOptions } from "./http.ts";
import { createJsonFileSource } from "./json-file.ts";
import type { Source } from "./source.ts";

export type SourceSpec = { kind: "hf" } | { kind: "arxiv"; categories: string[] } | { kind: "file"; paths: string[] };

export type SourceSettings = {
  hfUrl?: string;
  hfToken?: string;
  arxivRssUrl?: string;
  arxivApiUrl?: string;
  arxivIntervalMs?: number;
  arxivReplacements?: boolean;
};

/** arXiv categories joined by "+", as in a listing URL: cs.CL+cs.LG, hep-th. */
export const ARXIV_CATEGORIES = /^[a-z-]+(\.[A-Za-z-]+)?(\+[a-z-]+(\.[A-Za-z-]+)?)*$/;

/** Parses the PAPERBOY_SOURCES list ("none" for no ingest); throws CONFIG_INVALID stating the rule and the bad entry. */
export function parseSourceSpecs(text: string): SourceSpec[] {
  if (text.trim() === "none") return [];
  return text
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part): SourceSpec => {
      const [kind = "", rest = ""] = part.split(/:(.*)/s);
      if (kind === "hf" && rest === "") return { kind: "hf" };
      if (kind === "arxiv" && ARXIV_CATEGORIES.test(rest)) return { kind: "arxiv", categories: rest.split("+") };
      if (kind === "file" && rest !== "") return { kind: "file", paths: rest.split("+") };
      throw new AppError("CONFIG_INVALID", `must be a comma-separated list of hf, arxiv:cs.CL+cs.LG and file:/path/to.json, or none; "${part}" is none of these`);
    });
}

/** The sources for one listing day. */
export function createSources(specs: SourceSpec[], date: string, settings: SourceSettings, http: HttpOptions & { log?: Log; onProgress?: (message: string) => void } = {}): Source[] {
  return specs.map((spec) => {
    switch (spec.kind) {
      case "hf":
        return createHfSource({ ...http, date, baseUrl: settings.hfUrl, token: settings.hfToken });
      case "arxiv":
        return createArxivSource({
          ...http,
          categories: spec.categories,
          date,
          rssBaseUrl: settings.arxivRssUrl,
          apiBaseUrl: settings.arxivApiUrl,
          intervalMs: settings.arxivIntervalMs,
          includeReplacements: settings.arxivReplacements,
        });
      case "file":
        return createJsonFileSource(spec.paths, { listingDate: date });
    }
  });
}

/** Fetching papers by arXiv id, when PAPERBOY_SOURCES includes an arXiv source; undefined otherwise (paperboy never calls arXiv unasked). */
export function createConfiguredArxivLookup(specs: SourceSpec[], settings: SourceSettings, http: HttpOptions = {}): ArxivLookup | undefined {
  if (!specs.some((spec) => spec.kind === "arxiv")) return undefined;
  return createArxivLookup({ ...http, apiBaseUrl: settings.arxivApiUrl, intervalMs: settings.arxivIntervalMs });
}
