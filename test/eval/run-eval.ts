// `npm run eval`: prints the evaluation table (see evaluate.ts).
import { evaluate, mean } from "./evaluate.ts";

const results = evaluate();
const f = (value: number) => value.toFixed(2);
console.log("topic                     relevant | keyword P@5 R@10 nDCG@5 | matcher P@5 R@10 nDCG@5 | nDCG@5 before → after 5 votes");
for (const r of results) {
  console.log(
    `${r.topic.padEnd(25)} ${String(r.relevant).padStart(8)} | ${f(r.baseline.p5).padStart(11)} ${f(r.baseline.recall)} ${f(r.baseline.ndcg5).padStart(6)} | ${f(r.matcher.p5).padStart(11)} ${f(r.matcher.recall)} ${f(r.matcher.ndcg5).padStart(6)} | ${f(r.beforeVotes)} → ${f(r.afterVotes)}`,
  );
}
const avg = (pick: (r: (typeof results)[number]) => number) => f(mean(results.map(pick)));
console.log(
  `${"mean".padEnd(25)} ${"".padStart(8)} | ${avg((r) => r.baseline.p5).padStart(11)} ${avg((r) => r.baseline.recall)} ${avg((r) => r.baseline.ndcg5).padStart(6)} | ${avg((r) => r.matcher.p5).padStart(11)} ${avg((r) => r.matcher.recall)} ${avg((r) => r.matcher.ndcg5).padStart(6)} | ${avg((r) => r.beforeVotes)} → ${avg((r) => r.afterVotes)}`,
);
console.log(`\n${JSON.stringify(results)}`);
