// Feedback links from the email. Like unsubscribe, GET only shows a page with a
// button (mail scanners prefetch links) and POST records; the signed token is
// the proof, so no cookie is needed.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AppError } from "../../errors.ts";
import { paperTitles } from "../../sources/store.ts";
import { parseTopic } from "../../matching/topics.ts";
import { lessOfTopic, recordVote, resetLearning } from "../../subscriptions/feedback.ts";
import { sendPage } from "../respond.ts";
import type { WebDeps } from "../web-deps.ts";
import { authenticate, readToken } from "../authenticate.ts";
import { verifyCsrf } from "../csrf.ts";

type FeedbackQuery = { paper?: string; topic?: string; vote?: string };

export function registerFeedbackRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get("/feedback", async (request, reply) => {
    await authenticate(deps, request, "feedback");
    const action = describeAction(request);
    const title = action.paper ? (await paperTitles(deps.db, [action.paper])).get(action.paper) : undefined;
    if (action.paper && title === undefined) throw new AppError("NOT_FOUND", "That paper is not known here.");
    const query = new URLSearchParams({ token: readToken(request), ...(request.query as Record<string, string>) }).toString();
    return sendPage(deps, reply, "feedback", { title: "Your feedback", question: action.question(title), action: `/feedback?${query}`, button: action.button });
  });

  app.post("/feedback", async (request, reply) => {
    const subscriber = await authenticate(deps, request, "feedback");
    const action = describeAction(request);
    if (action.paper) await recordVote(deps.db, subscriber.id, action.paper, action.vote === "up" ? 1 : -1);
    else if (action.topic) await lessOfTopic(deps.db, subscriber.id, parseTopic(action.topic));
    return sendPage(deps, reply, "message", {
      title: "Thanks",
      message: "Noted — your next digests take it into account. The manage page shows what was learned and can reset it.",
    });
  });

  app.post("/manage/reset-learning", async (request, reply) => {
    const subscriber = await authenticate(deps, request, "manage");
    verifyCsrf(request);
    await resetLearning(deps.db, subscriber.id);
    return reply.redirect(`/manage?token=${encodeURIComponent(readToken(request))}&saved=1`, 303);
  });
}

function describeAction(request: FastifyRequest) {
  const { paper, topic, vote } = request.query as FeedbackQuery;
  if (paper && (vote === "up" || vote === "down")) {
    return {
      paper,
      vote,
      topic: undefined,
      question: (title?: string) => `${vote === "up" ? "More" : "Fewer"} papers like “${title ?? paper}”?`,
      button: vote === "up" ? "👍 Yes, more like this" : "👎 Yes, fewer like this",
    };
  }
  if (topic && vote === "less") {
    return { paper: undefined, vote, topic, question: () => `Show less of ${/^".*"$/.test(topic) ? `“${topic.slice(1, -1)}”` : `“${topic}”`}?`, button: "Yes, less of this topic" };
  }
  throw new AppError("INVALID_ARGUMENT", "This feedback link is incomplete; use the links in your email.");
}
