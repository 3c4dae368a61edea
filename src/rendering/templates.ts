// Loads the email templates once at start-up: MJML is compiled to HTML here, so
// each recipient only costs a Handlebars fill (hundreds of times cheaper).
import { hash } from "node:crypto";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { AppError } from "../errors.ts";

export const DEFAULT_TEMPLATES_DIR = fileURLToPath(new URL("../../templates", import.meta.url));

export type EmailTemplate = {
  subject: Handlebars.TemplateDelegate;
  html: Handlebars.TemplateDelegate;
  text: Handlebars.TemplateDelegate;
  /**
   * The `{{#each papers}}` block of html and text, compiled on its own so that a
   * paper's card can be filled once and shared; html and text then hold
   * `{{{htmlCards}}}` / `{{{textCards}}}` in its place.
   */
  cards?: { html: Handlebars.TemplateDelegate; text: Handlebars.TemplateDelegate };
};

export type Asset = { body: string; contentType: string };

export type Templates = {
  emails: Map<string, EmailTemplate>;
  /** templates/pages/<name>.hbs, each rendered inside layout.hbs. */
  pages: Map<string, Handlebars.TemplateDelegate>;
  layout: Handlebars.TemplateDelegate;
  /** templates/pages/assets/*: CSS and JS served by the web app, never from a CDN. */
  assets: Map<string, Asset>;
};

const CONTENT_TYPES: Record<string, string> = { ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml" };

/**
 * Reads templates/emails/<name>/{subject.hbs, html.mjml, text.hbs} for every
 * email. Throws TEMPLATE_INVALID on MJML errors or Handlebars syntax errors.
 */
export async function loadTemplates(dir: string = DEFAULT_TEMPLATES_DIR): Promise<Templates> {
  const handlebars = createHandlebars();
  const emailsDir = path.join(dir, "emails");
  const emails = new Map<string, EmailTemplate>();
  for (const name of (await readdir(emailsDir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name)) {
    const read = (file: string) => readFile(path.join(emailsDir, name, file), "utf8");
    const compiled = await compileMjml(`${name}/html.mjml`, await read("html.mjml"));
    const subject = compile(handlebars, `${name}/subject.hbs`, (await read("subject.hbs")).trim(), true);
    const html = splitCards(`${name}/html.mjml`, compiled, "htmlCards");
    const text = splitCards(`${name}/text.hbs`, await read("text.hbs"), "textCards");
    if ((html.card === undefined) !== (text.card === undefined)) {
      throw new AppError("TEMPLATE_INVALID", `${name}: html.mjml and text.hbs must both have a {{#each papers}} block or neither`);
    }
    emails.set(name, {
      subject,
      html: compile(handlebars, `${name}/html.mjml`, html.outer, false),
      text: compile(handlebars, `${name}/text.hbs`, text.outer, true),
      cards:
        html.card === undefined || text.card === undefined
          ? undefined
          : { html: compile(handlebars, `${name}/html.mjml (card)`, html.card, false), text: compile(handlebars, `${name}/text.hbs (card)`, text.card, true) },
    });
  }
  const pagesDir = path.join(dir, "pages");
  const pages = new Map<string, Handlebars.TemplateDelegate>();
  const files = (await readdir(pagesDir)).filter((name) => name.endsWith(".hbs"));
  // _name.hbs: a partial the pages include as {{> name}}.
  for (const file of files.filter((name) => name.startsWith("_"))) handlebars.registerPartial(file.slice(1, -4), await readFile(path.join(pagesDir, file), "utf8"));
  for (const file of files.filter((name) => !name.startsWith("_"))) {
    pages.set(file.slice(0, -4), compile(handlebars, `pages/${file}`, await readFile(path.join(pagesDir, file), "utf8"), false));
  }
  const layout = pages.get("layout");
  if (!layout) throw new AppError("TEMPLATE_INVALID", "templates/pages/layout.hbs is missing");
  const assets = new Map<string, Asset>();
  for (const file of await readdir(path.join(pagesDir, "assets"))) {
    assets.set(file, { body: await readFile(path.join(pagesDir, "assets", file), "utf8"), contentType: CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream" });
  }
  return { emails, pages, layout, assets };
}

/** A whole HTML page: `name` rendered inside the layout (pure). Throws TEMPLATE_INVALID for an unknown page. */
export function renderPage(templates: Templates, name: string, view: { title: string } & Record<string, unknown>): string {
  const page = templates.pages.get(name);
  if (!page || name === "layout") throw new AppError("TEMPLATE_INVALID", `no page template called ${name}`);
  return templates.layout({ ...view, body: page(view) });
}

export type RenderedEmail = { subject: string; html: string; text: string };

/** Fills the email template `name` (pure). The subject is kept to one line. Throws TEMPLATE_INVALID for an unknown name. */
export function renderEmail(templates: Templates, name: string, view: object): RenderedEmail {
  const template = templates.emails.get(name);
  if (!template) throw new AppError("TEMPLATE_INVALID", `no email template called ${name}`);
  return {
    subject: template
      .subject(view)
      .replace(/[\r\n]+/g, " ")
      .trim(),
    html: template.html(view),
    text: template.text(view),
  };
}

// MJML's compiler and its dependencies take ~40 MB of memory once loaded. The HTML it
// makes depends on the source only, so it is kept on disk by a hash of the source and
// every process after the first (workers, CLI calls) skips loading MJML at all.
// Kept under node_modules/.cache (the project's own, not a shared /tmp that other users could write to).
const MJML_CACHE = fileURLToPath(new URL("../../node_modules/.cache/paperboy-mjml", import.meta.url));
const MJML_VERSION = (createRequire(import.meta.url)("mjml/package.json") as { version: string }).version;

async function compileMjml(name: string, source: string): Promise<string> {
  const file = path.join(MJML_CACHE, `${hash("sha256", `mjml ${MJML_VERSION} strict no-fonts\n${source}`, "hex")}.html`);
  const cached = await readFile(file, "utf8").catch(() => undefined);
  if (cached !== undefined) return cached;
  const { default: mjml2html } = await import("mjml");
  // fonts: {} — MJML otherwise adds a Google Fonts import for any listed font it knows (Roboto): nothing may load from elsewhere.
  const compiled = await mjml2html(source, { validationLevel: "strict", keepComments: false, fonts: {} });
  if (compiled.errors.length > 0) throw new AppError("TEMPLATE_INVALID", `${name}: ${compiled.errors.map((error) => error.formattedMessage).join("; ")}`);
  // Written whole under another name, then renamed: a reader never sees half a file. A cache that cannot be written is only slower.
  const partial = `${file}.${process.pid}`;
  await mkdir(MJML_CACHE, { recursive: true })
    .then(() => writeFile(partial, compiled.html))
    .then(() => rename(partial, file))
    .catch(() => {});
  return compiled.html;
}

const EACH_PAPERS = "{{#each papers}}";

/**
 * Cuts the `{{#each papers}}…{{/each}}` block out of `source`, leaving
 * `{{{<slot>}}}` in its place. The block becomes a card template that sees one
 * paper's fields only, so `../`, `@index`, `@first` and `@last` are refused there.
 */
export function splitCards(name: string, source: string, slot: string): { outer: string; card?: string } {
  const start = source.indexOf(EACH_PAPERS);
  if (start < 0) return { outer: source };
  let depth = 1;
  const blocks = /{{\s*([#/])\s*each\b[^}]*}}/g;
  blocks.lastIndex = start + EACH_PAPERS.length;
  for (let match = blocks.exec(source); match; match = blocks.exec(source)) {
    depth += match[1] === "#" ? 1 : -1;
    if (depth > 0) continue;
    const card = source.slice(start + EACH_PAPERS.length, match.index);
    if (/\.\.\/|@index|@first|@last|@key/.test(card)) {
      throw new AppError("TEMPLATE_INVALID", `${name}: a paper card sees the paper's own fields only; use {{position}} instead of @index, and no ../`);
    }
    if (source.includes(EACH_PAPERS, match.index)) throw new AppError("TEMPLATE_INVALID", `${name}: only one {{#each papers}} block is allowed`);
    return { outer: `${source.slice(0, start)}{{{${slot}}}}${source.slice(match.index + match[0].length)}`, card };
  }
  throw new AppError("TEMPLATE_INVALID", `${name}: {{#each papers}} is not closed`);
}

// Declared at compile time: Handlebars then calls helpers directly and reads
// every other {{name}} as a plain field, several times faster per recipient.
const KNOWN_HELPERS = { plural: true, eq: true, includes: true, join: true };

function createHandlebars(): typeof Handlebars {
  const handlebars = Handlebars.create();
  handlebars.registerHelper("plural", (count: number, one: string, many: string) => (count === 1 ? one : many));
  handlebars.registerHelper("eq", (a: unknown, b: unknown) => a === b);
  handlebars.registerHelper("includes", (list: unknown, item: unknown) => Array.isArray(list) && list.includes(item));
  handlebars.registerHelper("join", (list: unknown, separator: unknown) => (Array.isArray(list) ? list.join(typeof separator === "string" ? separator : "\n") : ""));
  return handlebars;
}

// Subject and text parts are plain text: no HTML escaping there.
function compile(handlebars: typeof Handlebars, name: string, source: string, plain: boolean): Handlebars.TemplateDelegate {
  try {
    const template = handlebars.compile(source, { noEscape: plain, strict: false, knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true });
    template({}); // surfaces syntax errors now rather than at the first send
    return template;
  } catch (cause) {
    throw new AppError("TEMPLATE_INVALID", `${name}: ${(cause as Error).message}`, { cause });
  }
}
