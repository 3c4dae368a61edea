// Loads the email templates once at start-up: MJML is compiled to HTML here, so
// each recipient only costs a Handlebars fill (hundreds of times cheaper).
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import mjml2html from "mjml";
import { AppError } from "../errors.ts";

export const DEFAULT_TEMPLATES_DIR = fileURLToPath(new URL("../../templates", import.meta.url));

export type EmailTemplate = {
  subject: Handlebars.TemplateDelegate;
  html: Handlebars.TemplateDelegate;
  text: Handlebars.TemplateDelegate;
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
    const compiled = await mjml2html(await read("html.mjml"), { validationLevel: "strict", keepComments: false });
    if (compiled.errors.length > 0) {
      throw new AppError("TEMPLATE_INVALID", `${name}/html.mjml: ${compiled.errors.map((error) => error.formattedMessage).join("; ")}`);
    }
    emails.set(name, {
      subject: compile(handlebars, `${name}/subject.hbs`, (await read("subject.hbs")).trim(), true),
      html: compile(handlebars, `${name}/html.mjml`, compiled.html, false),
      text: compile(handlebars, `${name}/text.hbs`, await read("text.hbs"), true),
    });
  }
  const pagesDir = path.join(dir, "pages");
  const pages = new Map<string, Handlebars.TemplateDelegate>();
  for (const file of (await readdir(pagesDir)).filter((name) => name.endsWith(".hbs"))) {
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
  return { subject: template.subject(view).replace(/[\r\n]+/g, " ").trim(), html: template.html(view), text: template.text(view) };
}

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
    const template = handlebars.compile(source, { noEscape: plain, strict: false });
    template({}); // surfaces syntax errors now rather than at the first send
    return template;
  } catch (cause) {
    throw new AppError("TEMPLATE_INVALID", `${name}: ${(cause as Error).message}`, { cause });
  }
}
