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
});
