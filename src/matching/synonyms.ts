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

const BY_TERMS = new Map<string, string[][]>();
for (const group of SYNONYM_GROUPS) {
  const variants = group.map(toTerms);
  for (const variant of variants) {
    const key = variant.join(" ");
    const known = BY_TERMS.get(key) ?? [];
    for (const other of variants) if (!known.some((terms) => terms.join(" ") === other.join(" "))) known.push(other);
    BY_TERMS.set(key, known);
  }
}

/** Every term sequence that means the same as `terms` (itself first). */
export function expandSynonyms(terms: string[]): string[][] {
  const key = terms.join(" ");
  const others = (BY_TERMS.get(key) ?? []).filter((variant) => variant.join(" ") !== key);
  return [terms, ...others];
}
