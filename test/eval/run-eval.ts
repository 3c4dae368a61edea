// `npm run eval`: prints the evaluation table (see evaluate.ts); --json for the raw results.
import { evaluate, mean, RANKERS, type Scores, type TopicResult } from "./evaluate.ts";

const results = evaluate();
if (process.argv.includes("--json")) {
  console.log(JSON.stringify(results, null, 1));
} else {
  const f = (value: number) => value.toFixed(2);
  const cells = (s: Scores) => `${f(s.p5)} ${f(s.recall)} ${f(s.ndcg5)} ${f(s.sentF1)}`;
  console.log(`${"topic".padEnd(36)} rel | ${RANKERS.map((r) => `${r} P@5 R@10 nDCG@5 F1`.padStart(28)).join(" | ")}`);
  for (const r of results) console.log(`${r.topic.slice(0, 36).padEnd(36)} ${String(r.relevant).padStart(3)} | ${RANKERS.map((ranker) => cells(r.scores[ranker]).padStart(28)).join(" | ")}`);
  const avg = (pick: (r: TopicResult) => number, of = results) => mean(of.map(pick));
  const meanScores = (ranker: (typeof RANKERS)[number]): Scores => ({
    p5: avg((r) => r.scores[ranker].p5),
    recall: avg((r) => r.scores[ranker].recall),
    ndcg5: avg((r) => r.scores[ranker].ndcg5),
    sentF1: avg((r) => r.scores[ranker].sentF1),
    sent: 0,
  });
  console.log(`${"mean".padEnd(36)}     | ${RANKERS.map((ranker) => cells(meanScores(ranker)).padStart(28)).join(" | ")}`);
  const empty = results.filter((r) => r.relevant > 0 && r.scores.paperboy.sent === 0).map((r) => r.topic);
  console.log(`\nempty digests with relevant papers: ${empty.length}${empty.length > 0 ? ` (${empty.join(", ")})` : ""}`);
  const weak = results.filter((r) => r.beforeVotes < 0.8);
  console.log(
    `five votes on the ${weak.length} topics below nDCG@5 0.8: ${f(avg((r) => r.beforeVotes, weak))} → ${f(avg((r) => r.afterVotes, weak))} (lift ${f(avg((r) => r.afterVotes - r.beforeVotes, weak))})`,
  );
}
