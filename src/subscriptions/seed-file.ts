// Reads a reader's file of papers — a BibTeX, RIS or CSL-JSON export from Zotero
// or Mendeley, or plain lines of arXiv ids and URLs — into arXiv ids. Pure.
import { parse as parseBibtex } from "@retorquere/bibtex-parser";
import { AppError } from "../errors.ts";
import { ARXIV_ID, stripVersion } from "../arxiv-id.ts";

export const MAX_SEED_FILE_BYTES = 1024 * 1024;
export const MAX_SEED_ENTRIES = 500;

export type SeedFormat = "bibtex" | "ris" | "csl-json" | "ids";

export type SeedFile = {
  format: SeedFormat;
  /** arXiv ids without version, deduplicated, in file order. */
  ids: string[];
  /** Entries that name no arXiv paper, by title (or key, or line). */
  unresolved: Array<{ entry: string; reason: string }>;
};

/** An entry as a bag of field values, whatever the format called them. */
type Entry = { label: string; fields: Record<string, string[]> };

const NO_ARXIV_ID = "names no arXiv paper (no arXiv eprint, URL, DOI or journal note)";

/**
 * Detects the format and takes each entry's arXiv id from its eprint, URL, DOI
 * (10.48550/arXiv.X), note or journal ("arXiv preprint arXiv:X"). Entries without
 * one are listed in `unresolved`, never dropped. Throws INVALID_ARGUMENT for a
 * file over 1 MB or 500 entries, or one in no known format, naming the line or entry.
 * BibTeX is read asynchronously, yielding between entries (see readBibtex).
 */
export async function parseSeedFile(text: string): Promise<SeedFile> {
  if (Buffer.byteLength(text) > MAX_SEED_FILE_BYTES) throw invalid(`the file is larger than ${MAX_SEED_FILE_BYTES / 1024 / 1024} MB`);
  const body = text.replace(/^\uFEFF/, "");
  const format = detectFormat(body);
  const entries = format === "bibtex" ? await readBibtex(body) : format === "ris" ? readRis(body) : format === "csl-json" ? readCslJson(body) : readIdLines(body);
  if (entries.length > MAX_SEED_ENTRIES) throw invalid(`the file has ${entries.length} entries; at most ${MAX_SEED_ENTRIES} are read`);
  const ids: string[] = [];
  const unresolved: SeedFile["unresolved"] = [];
  for (const entry of entries) {
    const id = findArxivId(entry.fields);
    if (id === undefined) unresolved.push({ entry: entry.label, reason: NO_ARXIV_ID });
    else if (!ids.includes(id)) ids.push(id);
  }
  return { format, ids, unresolved };
}

function detectFormat(body: string): SeedFormat {
  const start = body.trimStart();
  if (start === "") throw invalid("the file is empty");
  if (start.startsWith("[") || start.startsWith("{")) return "csl-json";
  if (/^\s*@[A-Za-z]+\s*[{(]/m.test(body)) return "bibtex";
  if (/^TY {2}- /m.test(body)) return "ris";
  return "ids";
}

// The fields that can carry an arXiv id, in the order they are trusted.
const ID_FIELDS = ["eprint", "arxivid", "url", "doi", "number", "note", "journal"];

function findArxivId(fields: Record<string, string[]>): string | undefined {
  const eprintType = (fields.archiveprefix ?? fields.eprinttype ?? [""])[0]!.toLowerCase();
  for (const name of ID_FIELDS) {
    if (name === "eprint" && eprintType !== "" && eprintType !== "arxiv") continue;
    for (const value of fields[name] ?? []) {
      const id = name === "eprint" || name === "arxivid" ? bareId(value) : idInText(value);
      if (id) return id;
    }
  }
  return undefined;
}

function bareId(value: string): string | undefined {
  const id = value.trim().replace(/^arxiv:\s*/i, "");
  return ARXIV_ID.test(id) ? stripVersion(id) : idInText(value);
}

// arxiv.org/abs|pdf/ID, 10.48550/arXiv.ID, arXiv:ID — each anchored on a marker, so a year or page number is never taken for an id.
const ID_IN_TEXT = /(?:arxiv\.org\/(?:abs|pdf)\/|10\.48550\/arxiv\.|arxiv:\s*)(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?\/\d{7})(?:v\d+)?/i;

function idInText(value: string): string | undefined {
  const match = ID_IN_TEXT.exec(value);
  return match ? stripVersion(match[1]!) : undefined;
}

/**
 * Parses entry by entry, yielding to the event loop between them: the library
 * spends some 10–20 ms on each (its LaTeX handling) and a web process must not
 * stall for seconds on one upload. Exporters start every entry on a new line.
 */
async function readBibtex(body: string): Promise<Entry[]> {
  const chunks: Array<{ line: number; text: string }> = [];
  let line = 1;
  for (const text of body.split(/^(?=[ \t]*@)/m)) {
    if (/^[ \t]*@/.test(text)) chunks.push({ line, text });
    line += text.split("\n").length - 1;
  }
  const records = chunks.filter((chunk) => !/^\s*@(string|comment|preamble)\s*[{(]/i.test(chunk.text));
  if (records.length > MAX_SEED_ENTRIES) throw invalid(`the file has ${records.length} entries; at most ${MAX_SEED_ENTRIES} are read`);
  const strings = chunks
    .filter((chunk) => /^\s*@string\s*[{(]/i.test(chunk.text))
    .map((chunk) => chunk.text)
    .join("\n");
  const entries: Entry[] = [];
  for (const chunk of records) {
    // raw: field values as written (no LaTeX-to-Unicode, no sentence case) — ids need neither, and it halves the time.
    const library = parseBibtex(chunk.text, { raw: true, sentenceCase: false, strings });
    const broken = library.errors[0];
    if (broken) throw invalid(`the BibTeX entry on line ${chunk.line} could not be read: ${broken.error.replace(/ at line \d+, column \d+/, "")}`);
    for (const entry of library.entries) entries.push(toEntry(entry));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return entries;
}

function toEntry(entry: { key: string; fields: Record<string, unknown> }): Entry {
  const fields: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(entry.fields)) {
    if (typeof value === "string") fields[name.toLowerCase()] = [value];
    else if (Array.isArray(value) && value.every((item) => typeof item === "string")) fields[name.toLowerCase()] = value as string[];
  }
  return { label: labelOf(fields.title?.[0], entry.key), fields };
}

// RIS (one `TAG  - value` per line, records ending in `ER  -`) is simple enough not to need a library.
const RIS_FIELDS: Record<string, string> = { UR: "url", DO: "doi", JO: "journal", T2: "journal", N1: "note", M1: "number", ID: "number", TI: "title", T1: "title" };

function readRis(body: string): Entry[] {
  const entries: Entry[] = [];
  let current: Entry | undefined;
  body.split(/\r?\n/).forEach((line, index) => {
    const tagged = /^([A-Z][A-Z0-9]) {2}-(?: (.*))?$/.exec(line);
    if (!tagged) {
      if (line.trim() !== "" && current === undefined) throw invalid(`line ${index + 1} is not an RIS line (expected "TY  - …"): ${quote(line)}`);
      return;
    }
    const [, tag = "", value = ""] = tagged;
    if (tag === "TY") current = { label: `entry ${entries.length + 1}`, fields: {} };
    else if (current === undefined) throw invalid(`line ${index + 1}: an RIS record must start with "TY  - " (found ${tag})`);
    if (!current) return;
    if (tag === "ER") {
      current.label = labelOf(current.fields.title?.[0], current.label);
      entries.push(current);
      current = undefined;
      return;
    }
    const name = RIS_FIELDS[tag];
    if (name) (current.fields[name] ??= []).push(value.trim());
  });
  if (current) throw invalid(`the last RIS record (${labelOf(current.fields.title?.[0], current.label)}) has no "ER  - " line`);
  return entries;
}

function readCslJson(body: string): Entry[] {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (error) {
    throw invalid(`the file looks like CSL-JSON but is not valid JSON (${(error as Error).message})`);
  }
  const items = Array.isArray(data) ? data : [data];
  return items.map((item, index) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw invalid(`CSL-JSON entry ${index + 1} is not an object`);
    const record = item as Record<string, unknown>;
    const fields: Record<string, string[]> = {};
    const take = (from: string, to: string) => typeof record[from] === "string" && (fields[to] ??= []).push(record[from] as string);
    take("URL", "url");
    take("DOI", "doi");
    take("number", "number");
    take("note", "note");
    take("container-title", "journal");
    take("title", "title");
    return { label: labelOf(fields.title?.[0], typeof record.id === "string" ? record.id : `entry ${index + 1}`), fields };
  });
}

function readIdLines(body: string): Entry[] {
  const entries: Entry[] = [];
  body.split(/\r?\n/).forEach((line, index) => {
    const text = line.trim();
    if (text === "" || text.startsWith("#")) return;
    const id = bareId(
      text
        .split(/\s+/)[0]!
        .replace(/^https?:\/\/(?:www\.)?(?:arxiv\.org\/(?:abs|pdf)|huggingface\.co\/papers)\//i, "")
        .replace(/\.pdf$/i, "")
        .replace(/\/$/, ""),
    );
    // A first line that is no id: not a list of ids at all, rather than a list of bad entries.
    if (!id && entries.length === 0) throw invalid(`line ${index + 1} is neither BibTeX, RIS, CSL-JSON nor an arXiv id or URL: ${quote(text)}`);
    entries.push({ label: `line ${index + 1} (${quote(text)})`, fields: id ? { arxivid: [id] } : {} });
  });
  if (entries.length === 0) throw invalid("the file has no arXiv ids (only blank or # comment lines)");
  return entries;
}

function labelOf(title: string | undefined, fallback: string): string {
  // BibTeX titles come raw: drop the case-protecting braces.
  const clean = (title ?? "").replace(/[{}]/g, "").replace(/\s+/g, " ").trim();
  return clean === "" ? fallback : clean.length > 120 ? `${clean.slice(0, 119)}…` : clean;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 59)}…` : text);
}

function invalid(message: string): AppError {
  return new AppError("INVALID_ARGUMENT", message, { field: "file" });
}
