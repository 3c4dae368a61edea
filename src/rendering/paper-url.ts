// Where a paper is linked: its Hugging Face page when HF listed it (upvotes,
// comments, code), its arXiv page otherwise; the PDF on arXiv.
export type LinkedPaper = { arxivId: string; source: string };

export function paperUrl(paper: LinkedPaper): string {
  return paper.source === "arxiv" ? `https://arxiv.org/abs/${paper.arxivId}` : `https://huggingface.co/papers/${paper.arxivId}`;
}

export function pdfUrl(paper: Pick<LinkedPaper, "arxivId">): string {
  return `https://arxiv.org/pdf/${paper.arxivId}`;
}
