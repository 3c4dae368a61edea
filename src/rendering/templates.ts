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

export type Templates = { emails: Map<string, EmailTemplate> };

/**
 * Reads templates/emails/<name>/{subject.hbs, html.mjml, text.hbs} for every
 * email. Throws TEMPLATE_INVALID on MJML errors or Handlebars syntax errors.
 */
export async function loadTemplates(dir: string = DEFAULT_TEMPLATES_DIR): Promise<Templates> {
  const handlebars = createHandlebars();
  const emailsDir = path.join(dir, "emails");
  const emails = new Map<string, EmailTemplate>();
  for (const name of await readdir(emailsDir)) {
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
  return { emails };
}

/** The email template called `name`; throws TEMPLATE_INVALID when there is none. */
export function getEmailTemplate(templates: Templates, name: string): EmailTemplate {
  const template = templates.emails.get(name);
  if (!template) throw new AppError("TEMPLATE_INVALID", `no email template called ${name}`);
  return template;
}

function createHandlebars(): typeof Handlebars {
  const handlebars = Handlebars.create();
  handlebars.registerHelper("plural", (count: number, one: string, many: string) => (count === 1 ? one : many));
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
