// Recorded real Hugging Face Daily Papers responses: the three bundled as demo
// data (data/sample) and three older formats (test/fixtures/hf-daily).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const SAMPLE_DIR = fileURLToPath(new URL("../../data/sample", import.meta.url));
export const FIXTURES_DIR = fileURLToPath(new URL("../fixtures", import.meta.url));

export const HF_DAILY_FILES = {
  "2026-05-12": `${SAMPLE_DIR}/hf-daily-2026-05-12.json`,
  "2026-05-13": `${SAMPLE_DIR}/hf-daily-2026-05-13.json`,
  "2026-05-14": `${SAMPLE_DIR}/hf-daily-2026-05-14.json`,
  "2026-08-11": `${FIXTURES_DIR}/hf-daily/hf-daily-2026-08-11.json`,
  "2025-10-15": `${FIXTURES_DIR}/hf-daily/hf-daily-2025-10-15.json`,
  "2024-10-25": `${FIXTURES_DIR}/hf-daily/hf-daily-2024-10-25.json`,
} as const;

export type HfEntry = { paper: Record<string, unknown> & { id: string; title: string; upvotes: number }; [key: string]: unknown };

export function readHfDaily(day: keyof typeof HF_DAILY_FILES): HfEntry[] {
  return JSON.parse(readFileSync(HF_DAILY_FILES[day], "utf8")) as HfEntry[];
}
