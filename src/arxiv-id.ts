// arXiv identifiers, the one key papers have in every stage: sources read them,
// topics (`like:`) and reference files name papers by them.

/** arXiv identifiers: new style (2605.13724) and old style (hep-th/9901001), with an optional version. */
export const ARXIV_ID = /^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?\/\d{7})(v\d+)?$/;

/** The identifier without its version suffix. */
export function stripVersion(id: string): string {
  return id.replace(/v\d+$/, "");
}
