import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { startProgress } from "../../src/cli/progress.ts";

/** A stream that says it is (or is not) a terminal and keeps what was written. */
function terminal(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 120 });
  let written = "";
  stream.on("data", (chunk: Buffer) => (written += chunk.toString()));
  return { stream: stream as unknown as NodeJS.WriteStream, written: () => written };
}

describe("startProgress", () => {
  it("draws a bar with the count on an interactive terminal", () => {
    const out = terminal(true);
    const progress = startProgress("Sending digests", 200, { stream: out.stream });
    progress.update(50);
    progress.stop();
    expect(out.written()).toContain("Sending digests");
    expect(out.written()).toContain("50/200");
  });

  it.each([
    ["a pipe or a file", false, false],
    ["CI (quiet)", true, true],
  ])("is silent in %s", (_, isTTY, quiet) => {
    const out = terminal(isTTY);
    const progress = startProgress("Sending digests", 200, { stream: out.stream, quiet });
    progress.update(50);
    progress.stop();
    expect(out.written()).toBe("");
  });
});
