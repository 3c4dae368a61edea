import { describe, expect, it } from "vitest";
import { createLog, escapeControl, maskAddresses } from "../src/log.ts";

describe("log", () => {
  it("masks every address in a text, keeping the first letter and the domain", () => {
    expect(maskAddresses("550 5.1.1 <ada.lovelace@example.org>: unknown user; cc grace@mail.example.co.uk")).toBe("550 5.1.1 <a***@example.org>: unknown user; cc g***@mail.example.co.uk");
    expect(maskAddresses("no address here, just @mentions and 1.5@")).toBe("no address here, just @mentions and 1.5@");
  });

  it("masks a megabyte of text without an @ (a backtracking pattern would not finish)", () => {
    expect(maskAddresses("a".repeat(1_000_000))).toHaveLength(1_000_000);
    expect(maskAddresses(`${"a.".repeat(100_000)}@`)).toHaveLength(200_001);
  });

  it("escapes control characters, line breaks included", () => {
    expect(escapeControl("2605.\u0000\u001b[2J\n\u2028x")).toBe(String.raw`2605.\u0000\u001b[2J\u000a\u2028x`);
  });

  it("never writes a control character other than the line break, and starts each line with the time", () => {
    const lines: string[] = [];
    createLog("info", (line) => lines.push(line)).warn("id \u0000\u001b[31mred\r\nnext");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d /);
    expect(lines[0]!.slice(9)).toBe(String.raw`[warn] id \u0000\u001b[31mred\u000d` + "\nnext\n");
  });

  it("writes JSON lines from pino with the level's name, an ISO time, the message and the fields; below the level nothing", () => {
    const lines: string[] = [];
    const log = createLog("info", (line) => lines.push(line), "json");
    log.debug("not shown");
    log.info("Ingested 37 papers", { source: "hf", created: 3 });
    log.warn('a "quoted" \u0000 line\nbreak');
    expect(lines).toHaveLength(2);
    const [info, warn] = lines.map((line) => JSON.parse(line));
    expect(info).toEqual({ level: "info", time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), msg: "Ingested 37 papers", source: "hf", created: 3 });
    expect(warn).toMatchObject({ level: "warn", msg: 'a "quoted" \u0000 line\nbreak' });
    // One entry, one line: JSON escapes every control character.
    expect(lines.every((line) => line.endsWith("\n") && !line.slice(0, -1).includes("\n"))).toBe(true);
  });
});
