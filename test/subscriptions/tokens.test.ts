import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signToken, verifyToken } from "../../src/subscriptions/tokens.ts";

const secret = "s".repeat(40);
const now = new Date("2026-05-14T08:00:00Z");
const claims = { subscriberId: 42, tokenVersion: 3 };

describe("tokens", () => {
  it("round-trips the claims", () => {
    expect(verifyToken(secret, "unsubscribe", signToken(secret, "unsubscribe", claims, now), now)).toEqual(claims);
  });

  it("rejects a token signed for another purpose, with another secret, or altered", () => {
    const token = signToken(secret, "manage", claims, now);
    expect(() => verifyToken(secret, "unsubscribe", token, now)).toThrow(/not valid/);
    expect(() => verifyToken("t".repeat(40), "manage", token, now)).toThrow(/not valid/);
    expect(() => verifyToken(secret, "manage", token.replace(/^42\./, "43."), now)).toThrow(/not valid/);
    expect(() => verifyToken(secret, "manage", "garbage", now)).toThrow(/not valid/);
  });

  it("expires confirmation links after 7 days but never unsubscribe links", () => {
    const confirm = signToken(secret, "confirm", claims, now);
    const unsubscribe = signToken(secret, "unsubscribe", claims, now);
    const later = new Date(now.getTime() + 8 * 86_400_000);
    expect(() => verifyToken(secret, "confirm", confirm, later)).toThrow(/expired/);
    expect(verifyToken(secret, "unsubscribe", unsubscribe, new Date("2036-01-01T00:00:00Z"))).toEqual(claims);
  });

  it("expires manage links after 30 days and feedback links after 60; view and unsubscribe links never", () => {
    const at = (days: number) => new Date(now.getTime() + days * 86_400_000);
    expect(verifyToken(secret, "manage", signToken(secret, "manage", claims, now), at(29.9))).toEqual(claims);
    expect(() => verifyToken(secret, "manage", signToken(secret, "manage", claims, now), at(30.1))).toThrow(/expired/);
    expect(verifyToken(secret, "feedback", signToken(secret, "feedback", claims, now), at(59.9))).toEqual(claims);
    expect(() => verifyToken(secret, "feedback", signToken(secret, "feedback", claims, now), at(60.1))).toThrow(/expired/);
    expect(verifyToken(secret, "view", signToken(secret, "view", claims, now), at(3650))).toEqual(claims);
    expect(verifyToken(secret, "unsubscribe", signToken(secret, "unsubscribe", claims, now), at(3650))).toEqual(claims);
  });

  it("signs with 128 bits (22 characters) and still accepts the whole signature of links sent before", () => {
    const token = signToken(secret, "unsubscribe", claims, now);
    expect(token).toMatch(/^42\.3\.0\.[A-Za-z0-9_-]{22}$/);
    // A token as earlier releases made it: the whole HMAC-SHA256, 43 characters.
    const whole = createHmac("sha256", secret).update("paperboy:unsubscribe:42.3.0").digest("base64url");
    expect(whole.startsWith(token.split(".")[3]!)).toBe(true);
    expect(verifyToken(secret, "unsubscribe", `42.3.0.${whole}`, now)).toEqual(claims);
    // Neither a cut of another length nor an altered character passes.
    expect(() => verifyToken(secret, "unsubscribe", `42.3.0.${whole.slice(0, 30)}`, now)).toThrow(/not valid/);
    const last = token.at(-1) === "A" ? "B" : "A";
    expect(() => verifyToken(secret, "unsubscribe", `${token.slice(0, -1)}${last}`, now)).toThrow(/not valid/);
  });
});
