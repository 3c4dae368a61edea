import { describe, expect, it } from "vitest";
import { paperUrl, pdfUrl } from "../../src/rendering/paper-url.ts";

describe("paperUrl", () => {
  it("links a paper Hugging Face listed to its HF page, one from arXiv alone to arXiv, the PDF to arXiv", () => {
    expect(paperUrl({ arxivId: "2605.13724", source: "hf" })).toBe("https://huggingface.co/papers/2605.13724");
    expect(paperUrl({ arxivId: "2605.13724", source: "file" })).toBe("https://huggingface.co/papers/2605.13724");
    expect(paperUrl({ arxivId: "2511.01234", source: "arxiv" })).toBe("https://arxiv.org/abs/2511.01234");
    expect(pdfUrl({ arxivId: "2511.01234" })).toBe("https://arxiv.org/pdf/2511.01234");
  });
});
