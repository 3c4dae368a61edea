import { describe, expect, it } from "vitest";
import { createLog, escapeControl, maskAddresses } from "../src/log.ts";

describe("log", () => {
  it("masks every address in a text, keeping the first letter and the domain", () => {
    expect(maskAddresses("550 5.1.1 <ada.lovelace@example.org>: unknown user; cc grace@mail.example.co.uk")).toBe("550 5.1.1 <a***@example.org>: unknown user; cc g***@mail.example.co.uk");
    expect(maskAddresses("no address here, just @mentions and 1.5@")).toBe("no address here, just @mentions and 1.5@");
  });

  it("masks in linear time on long text without an @", () => {
    const started = performance.now();
    maskAddresses("a".repeat(1_000_000));
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("escapes control characters, line breaks included", () => {
    expect(escapeControl("2605.\u0000\u001b[2J\n\u2028x")).toBe(String.raw`2605.\u0000\u001b[2J\u000a\u2028x`);
  });

  it("never writes a control character other than the line break", () => {
    const lines: string[] = [];
    createLog("info", (line) => lines.push(line)).warn("id \u0000\u001b[31mred\r\nnext");
    expect(lines).toEqual([String.raw`[warn] id \u0000\u001b[31mred\u000d` + "\nnext\n"]);
  });
});
