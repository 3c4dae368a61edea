// Unsubscribe: a confirmation page for people (GET never unsubscribes: mail
// scanners prefetch links) and the RFC 8058 one-click endpoint (POST).
// Unsubscribing revokes every link; an unsubscribe link still unsubscribes after
// that (it must work from every email ever sent), but only a current one leads on
// to the re-subscribe button and the data page.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { resubscribe, unsubscribe } from "../../subscriptions/leave.ts";
import { signedUrl } from "../../subscriptions/links.ts";
import type { SubscribeQueue } from "../../subscriptions/subscribe-queue.ts";
import { findSubscriber, type SubscriberWithTopics } from "../../subscriptions/store.ts";
import { signToken } from "../../subscriptions/tokens.ts";
import { formatTopic } from "../../matching/topics.ts";
import { sendPage } from "../respond.ts";
import type { WebDeps } from "../web-deps.ts";
import { authenticate } from "../authenticate.ts";
import { issueCsrf, verifyCsrf } from "../csrf.ts";

export function registerLeaveRoutes(app: FastifyInstance, deps: WebDeps, subscriptions: SubscribeQueue): void {
  const secure = deps.mail.publicUrl.startsWith("https:");
  const manageUrl = (subscriber: SubscriberWithTopics) => signedUrl({ ...deps.mail, publicUrl: "" }, "/manage", "manage", subscriber, deps.now());

  /** The goodbye page; `current` (the visitor used a link that was not revoked) adds re-subscribe and "your data", signed anew. */
  const sendGoodbye = async (request: FastifyRequest, reply: FastifyReply, subscriber: SubscriberWithTopics, current: boolean) => {
    const fresh = current ? await findSubscriber(deps.db, { id: subscriber.id }) : undefined;
    const links = fresh
      ? {
          token: signToken(deps.mail.secret, "unsubscribe", { subscriberId: fresh.id, tokenVersion: fresh.tokenVersion }, deps.now()),
          csrf: issueCsrf(request, reply, secure),
          manageUrl: manageUrl(fresh),
        }
      : {};
    return sendPage(deps, reply, "goodbye", { title: "Unsubscribed", email: subscriber.email, ...links });
  };

  app.get("/unsubscribe", async (request, reply) => {
    const subscriber = await authenticate(deps, request, "unsubscribe", { anyVersion: true });
    if (subscriber.status === "unsubscribed") return sendGoodbye(request, reply, subscriber, subscriber.current);
    return sendPage(deps, reply, "unsubscribe", { title: "Unsubscribe", email: subscriber.email, token: (request.query as { token?: string }).token ?? "" });
  });

  // RFC 8058: no cookie or CSRF token required, and 200 whatever the token, so that
  // a mailbox provider's one-click POST never learns anything and never fails loudly.
  app.post("/unsubscribe", async (request, reply) => {
    let subscriber: (SubscriberWithTopics & { current: boolean }) | undefined;
    try {
      subscriber = await authenticate(deps, request, "unsubscribe", { anyVersion: true });
      await unsubscribe(deps.db, subscriber.id, deps.now());
    } catch (error) {
      deps.log.debug(`one-click unsubscribe with a bad token: ${(error as Error).message}`);
    }
    const fromBrowser = (request.headers.accept ?? "").includes("text/html");
    if (!fromBrowser) return reply.code(200).type("text/plain; charset=utf-8").send("Unsubscribed.\n");
    if (!subscriber) {
      return sendPage(deps, reply, "message", { title: "Unsubscribe", message: "This link is not valid any more. If you still get our emails, use the unsubscribe link in the newest one." });
    }
    return sendGoodbye(request, reply, subscriber, subscriber.current);
  });

  app.post("/resubscribe", async (request, reply) => {
    const subscriber = await authenticate(deps, request, "unsubscribe");
    verifyCsrf(request);
    if (await resubscribe(deps.db, subscriber, deps.now())) {
      return reply.redirect(`${manageUrl(subscriber)}&welcome=1`, 303);
    }
    await subscriptions.submit({ email: subscriber.email, topics: subscriber.topics.map(formatTopic), source: "web", ip: request.ip });
    return reply.redirect("/check-inbox", 303);
  });
}
