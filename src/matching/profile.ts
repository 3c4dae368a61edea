// What a subscriber's 👍 / 👎 votes and "less of this topic" taught (pure). Votes
// move the reader's query itself (Rocchio): papers like a liked one score higher,
// and enter a digest even without the topic's words; papers like a disliked one lower.

/** A vote with the voted paper's text, which the ranking turns into a query. */
export type Vote = { paperId: number; title: string; abstract: string; aiKeywords: string[]; vote: number };

/** Learned preferences: the votes (newest first), and per-topic weights from "less of this topic". */
export type Profile = { votes: Vote[]; topicWeights: Map<string, number> };

export const EMPTY_PROFILE: Profile = { votes: [], topicWeights: new Map() };

/** The newest votes of each kind that count (older ones are outweighed by them anyway). */
export const VOTES_USED = 20;

/** The profile's votes that count: the newest VOTES_USED 👍 and VOTES_USED 👎. */
export function countedVotes(profile: Profile): { liked: Vote[]; disliked: Vote[] } {
  return {
    liked: profile.votes.filter((vote) => vote.vote > 0).slice(0, VOTES_USED),
    disliked: profile.votes.filter((vote) => vote.vote < 0).slice(0, VOTES_USED),
  };
}

export function hasLearned(profile: Profile | undefined): profile is Profile {
  return profile !== undefined && (profile.votes.length > 0 || profile.topicWeights.size > 0);
}
