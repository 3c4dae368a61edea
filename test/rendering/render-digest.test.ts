import { beforeAll, describe, expect, it } from "vitest";
import { renderDigest, type DigestInput, type DigestPaper } from "../../src/rendering/render-digest.ts";
import { loadTemplates, splitCards, type Templates } from "../../src/rendering/templates.ts";

let templates: Templates;
beforeAll(async () => {
  templates = await loadTemplates();
});

type TestPaper = DigestPaper & { reason: string };

const paper = (n: number, overrides: Partial<TestPaper> = {}): TestPaper => ({
  arxivId: `2605.1000${n}`,
  title: `Paper number ${n}`,
  abstract: `First sentence of paper ${n}. Second sentence. Third sentence that should not appear.`,
  authors: ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson"],
  upvotes: 10 * n,
  comments: n,
  source: "hf",
  reason: `Matched “agents” in the title ${n}`,
  ...overrides,
});

const input = (papers: TestPaper[], overrides: Partial<DigestInput> = {}): DigestInput => ({
  listName: "paperboy",
  email: "ada@example.org",
  date: "2026-05-14",
  topics: ["agents", '"video generation"'],
  personal: true,
  papers: papers.map((p) => ({ paper: p, reason: p.reason })),
  manageUrl: "https://paperboy.example/manage?token=m",
  unsubscribeUrl: "https://paperboy.example/unsubscribe?token=u",
  ...overrides,
});

const countCards = (html: string) => (html.match(/class="card"/g) ?? []).length;

describe("renderDigest", () => {
  it("makes MJML import no web font: the email loads nothing from other hosts", () => {
    const { html } = renderDigest(templates, input([paper(1)]));
    expect(html).not.toMatch(/@import|fonts\.googleapis|<link[^>]+stylesheet/i);
    expect(html).not.toMatch(/\ssrc="https?:/i); // links may point anywhere; nothing is fetched when the mail is opened
  });

  it.each([1, 3, 10])("renders every one of %i papers (MJML drops loops outside mj-raw)", (n) => {
    const papers = Array.from({ length: n }, (_, i) => paper(i + 1));
    const email = renderDigest(templates, input(papers));
    expect(countCards(email.html)).toBe(n);
    for (const p of papers) {
      expect(email.html).toContain(p.title);
      expect(email.text).toContain(p.title);
      expect(email.html).toContain(p.reason);
      expect(email.text).toContain(`https://huggingface.co/papers/${p.arxivId}`);
    }
    expect(email.subject).toBe(`${n} new ${n === 1 ? "paper" : "papers"}: Paper number 1`);
    expect(email.text).toContain(`${n} new ${n === 1 ? "paper" : "papers"} picked for you on agents and "video generation".`);
  });

  it("shows short authors, a 1–2 sentence summary (AI summary when present) and GitHub links", () => {
    const email = renderDigest(templates, input([paper(1, { githubUrl: "https://github.com/acme/agent", githubStars: 42 }), paper(2, { aiSummary: "An AI summary." })]));
    expect(email.text).toContain("Ada Lovelace, Grace Hopper, Alan Turing et al.");
    expect(email.text).toContain("First sentence of paper 1. Second sentence.");
    expect(email.text).not.toContain("Third sentence");
    expect(email.text).toContain("An AI summary.");
    expect(email.html).toContain('href="https://github.com/acme/agent"');
    expect(email.html).toContain("★ 42");
  });

  it.each([
    [1, 1, "· 1 upvote · 1 comment\n", "▲ 1 · 1 comment<"],
    [2, 3, "· 2 upvotes · 3 comments\n", "▲ 2 · 3 comments<"],
  ])('pluralises %i upvote(s) and %i comment(s) in both parts (issue 11.10: "1 upvotes")', (upvotes, comments, text, html) => {
    const email = renderDigest(templates, input([paper(1, { upvotes, comments })]));
    expect(email.text).toContain(text);
    expect(email.html).toContain(html);
  });

  it("escapes HTML from the data and never links anything but https", () => {
    const hostile = paper(1, {
      title: `<script>alert("x")</script> Tom & Jerry`,
      authors: ["<b>Bold</b>"],
      githubUrl: "javascript:alert(1)",
      projectUrl: "http://insecure.example/",
      reason: "<img src=x onerror=alert(1)>",
    });
    const email = renderDigest(templates, input([hostile]));
    expect(email.html).not.toContain("<script>alert");
    expect(email.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Tom &amp; Jerry");
    expect(email.html).not.toContain("<b>Bold</b>");
    expect(email.html).not.toContain("<img src=x");
    expect(email.html).not.toMatch(/javascript:/i);
    expect(email.html).not.toContain("insecure.example");
    // The plain-text part is not HTML: it carries the title as written.
    expect(email.text).toContain(`<script>alert("x")</script> Tom & Jerry`);
  });

  it("says 'trending' for a subscriber without topics and names every link in the footer", () => {
    const email = renderDigest(templates, input([paper(1)], { topics: [], personal: false }));
    expect(email.subject).toBe("1 trending paper: Paper number 1");
    expect(email.text).toContain("Today's 1 most upvoted paper.");
    // Handlebars writes "=" as &#x3D; in attributes, which every HTML parser decodes.
    const html = email.html.replaceAll("&#x3D;", "=");
    expect(html).toContain('href="https://paperboy.example/unsubscribe?token=u"');
    expect(html).toContain('href="https://paperboy.example/manage?token=m"');
    expect(email.text).toContain("Unsubscribe: https://paperboy.example/unsubscribe?token=u");
  });

  it("keeps the subject on one line whatever the topics contain", () => {
    const email = renderDigest(templates, input([paper(1)], { topics: ["a\r\nBcc: victim@example.org"] }));
    expect(email.subject).not.toMatch(/[\r\n]/);
  });

  it("shares a paper's card between recipients but fills each one's position and feedback links", async () => {
    const [one, two, three] = [paper(1), paper(2, { githubUrl: "https://github.com/acme/two" }), paper(3)];
    const recipient = (email: string, papers: TestPaper[]): DigestInput => ({
      ...input([]),
      email,
      papers: papers.map((p) => ({ paper: p, reason: p.reason })),
      feedback: { base: `https://paperboy.example/feedback?token=${email}`, topics: ["agents"] },
    });
    renderDigest(templates, recipient("ada@example.org", [one!, two!, three!]));
    const cached = renderDigest(templates, recipient("grace@example.org", [three!, one!]));
    const fresh = renderDigest(await loadTemplates(), recipient("grace@example.org", [three!, one!]));
    expect(cached).toEqual(fresh);
    expect(cached.text).toContain("1. Paper number 3");
    expect(cached.text).toContain("2. Paper number 1");
    expect(cached.text).toContain("More like this: https://paperboy.example/feedback?token=grace@example.org&paper=2605.10001&vote=up");
    expect(cached.text).not.toContain("ada@example.org");
    expect(cached.html).not.toContain("ada@example.org");
    expect(cached.html.replaceAll("&#x3D;", "=").replaceAll("&amp;", "&")).toContain('href="https://paperboy.example/feedback?token=grace@example.org&paper=2605.10003&vote=down"');
  });

  it("gives each recipient their own reason on a shared card, escaped in the HTML", () => {
    const shared = paper(1);
    const forReason = (reason: string) => renderDigest(templates, { ...input([]), papers: [{ paper: shared, reason }] });
    const first = forReason("“agents” in the title");
    const second = forReason("“tool use” & <planning> in the abstract");
    expect(first.text).toContain("Why: “agents” in the title\n");
    expect(second.text).toContain("Why: “tool use” & <planning> in the abstract\n");
    expect(second.html).toContain("“tool use” &amp; &lt;planning&gt; in the abstract");
    expect(second.html).not.toContain("“agents” in the title");
  });

  it("never lets data fake a card's slots", () => {
    const sneaky = paper(1, { title: "Slot \uE000 and \uE001 here\uE002", reason: "why \uE001\uE002" });
    const email = renderDigest(templates, { ...input([sneaky]), feedback: { base: "https://paperboy.example/feedback?token=t", topics: [] } });
    expect(email.text).toContain("1. Slot  and  here");
    expect(email.text).toContain("Why: why \n");
    expect(email.text.match(/feedback\?token=t/g)).toHaveLength(2);
  });
});

describe("splitCards", () => {
  it("cuts the papers block out, nested blocks included", () => {
    const { outer, card } = splitCards("t", "A{{#each papers}}<{{title}}{{#each tags}}{{this}}{{/each}}>{{/each}}B", "cards");
    expect(outer).toBe("A{{{cards}}}B");
    expect(card).toBe("<{{title}}{{#each tags}}{{this}}{{/each}}>");
    expect(splitCards("t", "no papers here", "cards")).toEqual({ outer: "no papers here" });
  });

  it.each([
    ["{{#each papers}}{{@index}}{{/each}}", /use \{\{position\}\} instead of @index/],
    ["{{#each papers}}{{../listName}}{{/each}}", /paper's own fields only/],
    ["{{#each papers}}{{title}}", /is not closed/],
    ["{{#each papers}}a{{/each}}{{#each papers}}b{{/each}}", /only one/],
  ])("refuses %s with a clear error", (source, message) => {
    expect(() => splitCards("digest/html.mjml", source, "cards")).toThrow(message);
  });
});
