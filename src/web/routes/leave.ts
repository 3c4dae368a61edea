// Unsubscribe: a confirmation page for people (GET never unsubscribes: mail
// scanners prefetch links) and the RFC 8058 one-click endpoint (POST).
import type { FastifyInstance } from "fastify";
import { resubscribe, unsubscribe } from "../../subscriptions/leave.ts";
import { signedUrl } from "../../subscriptions/links.ts";
import { requestSubscription } from "../../subscriptions/subscribe.ts";
import type { SubscriberWithTopics } from "../../subscriptions/subscriptions.ts";
import { formatTopic } from "../../matching/topics.ts";
import { sendPage, type WebDeps } from "../app.ts";
import { authenticate, readToken } from "../authenticate.ts";
import { issueCsrf, verifyCsrf } from "../csrf.ts";

export function registerLeaveRoutes(app: FastifyInstance, deps: WebDeps): void {
  const secure = deps.mail.publicUrl.startsWith("https:");
  const manageUrl = (subscriber: SubscriberWithTopics) => signedUrl({ ...deps.mail, publicUrl: "" }, "/manage", "manage", subscriber, deps.now());

  app.get("/unsubscribe", async (request, reply) => {
    const subscriber = await authenticate(deps, request, "unsubscribe");
    if (subscriber.status === "unsubscribed") {
      return sendPage(deps, reply, "goodbye", { title: "Unsubscribed", email: subscriber.email, token: readToken(request), csrf: issueCsrf(request, reply, secure), manageUrl: manageUrl(subscriber) });
    }
    return sendPage(deps, reply, "unsubscribe", { title: "Unsubscribe", email: subscriber.email, token: readToken(request), manageUrl: manageUrl(subscriber) });
  });

  // RFC 8058: no cookie or CSRF token required, and 200 whatever the token, so that
  // a mailbox provider's one-click POST never learns anything and never fails loudly.
  app.post("/unsubscribe", async (request, reply) => {
    let subscriber: SubscriberWithTopics | undefined;
    try {
      subscriber = await authenticate(deps, request, "unsubscribe");
      await unsubscribe(deps.db, subscriber.id, deps.now());
    } catch (error) {
      deps.log.debug(`one-click unsubscribe with a bad token: ${(error as Error).message}`);
    }
    const fromBrowser = (request.headers.accept ?? "").includes("text/html");
    if (!fromBrowser) return reply.code(200).type("text/plain; charset=utf-8").send("Unsubscribed.\n");
    if (!subscriber) {
      return sendPage(deps, reply, "message", { title: "Unsubscribe", message: "This link is not valid any more. If you still get our emails, use the unsubscribe link in the newest one." });
    }
    return sendPage(deps, reply, "goodbye", { title: "Unsubscribed", email: subscriber.email, token: readToken(request), csrf: issueCsrf(request, reply, secure), manageUrl: manageUrl(subscriber) });
  });

  app.post("/resubscribe", async (request, reply) => {
    const subscriber = await authenticate(deps, request, "unsubscribe");
    verifyCsrf(request);
    if (await resubscribe(deps.db, subscriber, deps.now())) {
      return reply.redirect(`${manageUrl(subscriber)}&welcome=1`, 303);
    }
    await requestSubscription(deps, { email: subscriber.email, topics: subscriber.topics.map(formatTopic), source: "web", ip: request.ip });
    return sendPage(deps, reply, "check-inbox", { title: "Check your inbox", email: subscriber.email });
  });
}
