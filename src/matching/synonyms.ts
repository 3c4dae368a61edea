// A small, reviewed table of field abbreviations and synonyms. A topic that says
// one of them also finds the others: "RL" finds "reinforcement learning" and back.
// Keep entries unambiguous in ML/AI papers; plural and case do not matter here.
import { toTerms } from "./tokens.ts";

export const SYNONYM_GROUPS: string[][] = [
  ["llm", "large language model"],
  ["mllm", "multimodal large language model", "multimodal llm"],
  ["vlm", "vision language model", "vision-language model"],
  ["vla", "vision language action model", "vision-language-action model"],
  ["moe", "mixture of experts", "mixture-of-experts"],
  ["rl", "reinforcement learning"],
  ["rlhf", "reinforcement learning from human feedback"],
  ["rlvr", "reinforcement learning with verifiable rewards"],
  ["dpo", "direct preference optimization"],
  ["grpo", "group relative policy optimization"],
  ["peft", "parameter efficient fine tuning", "parameter-efficient fine-tuning"],
  ["lora", "low rank adaptation", "low-rank adaptation"],
  ["sft", "supervised fine tuning", "supervised fine-tuning"],
  ["rag", "retrieval augmented generation", "retrieval-augmented generation"],
  ["cot", "chain of thought", "chain-of-thought"],
  ["icl", "in context learning", "in-context learning"],
  ["gnn", "graph neural network"],
  ["vit", "vision transformer"],
  ["nerf", "neural radiance field"],
  ["3dgs", "3d gaussian splatting", "gaussian splatting"],
  ["asr", "automatic speech recognition", "speech recognition"],
  ["tts", "text to speech", "text-to-speech"],
  ["ocr", "optical character recognition"],
  ["kv cache", "key value cache", "key-value cache"],
  ["nlp", "natural language processing"],
  ["gan", "generative adversarial network"],
  ["vae", "variational autoencoder"],
  ["ssm", "state space model", "state-space model"],
];

type Wording = { terms: string[]; text: string };

const BY_TERMS = new Map<string, Wording[]>();
for (const group of SYNONYM_GROUPS) {
  const wordings = group.map((text) => ({ terms: toTerms(text), text }));
  for (const wording of wordings) {
    const key = wording.terms.join(" ");
    const known = BY_TERMS.get(key) ?? [];
    for (const other of wordings) if (!known.some((entry) => entry.terms.join(" ") === other.terms.join(" "))) known.push(other);
    BY_TERMS.set(key, known);
  }
}

/** The other wordings (as written in the table) that mean the same as `terms`. */
export function synonymsOf(terms: string[]): string[] {
  const key = terms.join(" ");
  return (BY_TERMS.get(key) ?? []).filter((wording) => wording.terms.join(" ") !== key).map((wording) => wording.text);
}
