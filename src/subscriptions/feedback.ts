// Feedback from inside the email: 👍 / 👎 on a paper, "less of this topic", and the
// profile they add up to, which re-ranks the next digests.
import { sql, type Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { countedVotes, EMPTY_PROFILE, type Profile, type Vote } from "../matching/profile.ts";
import { formatTopic, topicKey, type TopicSpec } from "../matching/topics.ts";

const LESS_FACTOR = 0.5;
const MIN_TOPIC_WEIGHT = 0.1;

/** Records (or changes) the subscriber's vote on a paper. Throws NOT_FOUND for an unknown paper. */
export async function recordVote(db: Db, subscriberId: number, arxivId: string, vote: 1 | -1): Promise<{ title: string }> {
  const paper = await db.paper.findUnique({ where: { arxivId }, select: { id: true, title: true } });
  if (!paper) throw new AppError("NOT_FOUND", `no paper ${arxivId.slice(0, 40)}`, { field: "paper" });
  await db.feedback.upsert({ where: { subscriberId_paperId: { subscriberId, paperId: paper.id } }, create: { subscriberId, paperId: paper.id, vote }, update: { vote, createdAt: new Date() } });
  return { title: paper.title };
}

/** Halves how much one of the subscriber's topics counts. Throws NOT_FOUND when they do not follow it. */
export async function lessOfTopic(db: Db, subscriberId: number, topic: TopicSpec): Promise<number> {
  const row = await db.subscriberTopic.findFirst({ where: { subscriberId, topic: { kind: topic.kind, query: topic.query } } });
  if (!row) throw new AppError("NOT_FOUND", `you do not follow ${formatTopic(topic)}`, { field: "topic" });
  const weight = Math.max(MIN_TOPIC_WEIGHT, row.weight * LESS_FACTOR);
  await db.subscriberTopic.update({ where: { subscriberId_topicId: { subscriberId, topicId: row.topicId } }, data: { weight } });
  return weight;
}

/** Forgets every vote and restores every topic's weight. */
export async function resetLearning(db: Db, subscriberId: number): Promise<void> {
  await db.$transaction([db.feedback.deleteMany({ where: { subscriberId } }), db.subscriberTopic.updateMany({ where: { subscriberId }, data: { weight: 1 } })]);
}

/** Profiles of many subscribers at once (one query each for votes and topic weights). */
export async function loadProfiles(db: Db, subscriberIds: number[]): Promise<Map<number, Profile>> {
  const [votes, topics] = await Promise.all([
    sql<Vote & { subscriberId: number }>(
      db,
      `SELECT f."subscriberId", f.vote, p.id AS "paperId", p.title, p.abstract, COALESCE(p."aiKeywords", ARRAY[]::text[]) AS "aiKeywords"
       FROM "Feedback" f JOIN "Paper" p ON p.id = f."paperId" WHERE f."subscriberId" = ANY($1::int[])
       ORDER BY f."createdAt" DESC, f.id DESC`,
      [subscriberIds],
    ),
    sql<{ subscriberId: number; weight: number; kind: TopicSpec["kind"]; query: string }>(
      db,
      `SELECT st."subscriberId", st.weight, t.kind::text AS kind, t.query
       FROM "SubscriberTopic" st JOIN "Topic" t ON t.id = st."topicId" WHERE st."subscriberId" = ANY($1::int[]) AND st.weight <> 1`,
      [subscriberIds],
    ),
  ]);
  const profiles = new Map<number, Profile>();
  const profileOf = (id: number) => {
    let profile = profiles.get(id);
    if (!profile) profiles.set(id, (profile = { votes: [], topicWeights: new Map() }));
    return profile;
  };
  for (const { subscriberId, ...vote } of votes) profileOf(subscriberId).votes.push(vote);
  for (const row of topics) profileOf(row.subscriberId).topicWeights.set(topicKey({ kind: row.kind, query: row.query }), row.weight);
  return profiles;
}

/** What was learned, in words, for the manage page: the papers whose likes count (titles), and the topics counted less. */
export async function describeLearning(db: Db, subscriberId: number): Promise<{ votes: number; liked: string[]; disliked: string[]; lessTopics: string[]; canReset: boolean }> {
  const profile = (await loadProfiles(db, [subscriberId])).get(subscriberId) ?? EMPTY_PROFILE;
  const votes = await db.feedback.count({ where: { subscriberId } });
  const rows = await db.subscriberTopic.findMany({ where: { subscriberId, weight: { lt: 1 } }, include: { topic: true } });
  const lessTopics = rows.map((row) => formatTopic({ kind: row.topic.kind, query: row.topic.query }));
  const { liked, disliked } = countedVotes(profile);
  const titles = (list: Vote[]) => list.slice(0, 5).map((vote) => vote.title);
  return { votes, liked: titles(liked), disliked: titles(disliked), lessTopics, canReset: votes > 0 || lessTopics.length > 0 };
}
