// The arXiv categories a subscriber can pick from (the ones Daily Papers and the
// arXiv listings cover most), with their names for the manage page.

export const ARXIV_CATEGORIES: ReadonlyArray<{ id: string; name: string }> = [
  { id: "cs.AI", name: "Artificial Intelligence" },
  { id: "cs.CL", name: "Computation and Language" },
  { id: "cs.CV", name: "Computer Vision and Pattern Recognition" },
  { id: "cs.LG", name: "Machine Learning" },
  { id: "cs.RO", name: "Robotics" },
  { id: "cs.IR", name: "Information Retrieval" },
  { id: "cs.HC", name: "Human-Computer Interaction" },
  { id: "cs.MA", name: "Multiagent Systems" },
  { id: "cs.NE", name: "Neural and Evolutionary Computing" },
  { id: "cs.SE", name: "Software Engineering" },
  { id: "cs.CR", name: "Cryptography and Security" },
  { id: "cs.DC", name: "Distributed, Parallel, and Cluster Computing" },
  { id: "cs.GR", name: "Graphics" },
  { id: "cs.SD", name: "Sound" },
  { id: "cs.CY", name: "Computers and Society" },
  { id: "eess.AS", name: "Audio and Speech Processing" },
  { id: "eess.IV", name: "Image and Video Processing" },
  { id: "stat.ML", name: "Machine Learning (Statistics)" },
  { id: "math.OC", name: "Optimization and Control" },
  { id: "q-bio.QM", name: "Quantitative Methods (Biology)" },
];

const BY_LOWER = new Map(ARXIV_CATEGORIES.map((category) => [category.id.toLowerCase(), category.id]));

/** The canonical id ("cs.CL") of a known category, case-insensitively; undefined when unknown. */
export function findCategory(input: string): string | undefined {
  return BY_LOWER.get(input.trim().toLowerCase());
}
