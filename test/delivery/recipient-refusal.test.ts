// Which 5xx replies to RCPT TO may bounce (and suppress) an address: only those
// about the mailbox itself. Bug: every 5xx did, so "relaying denied" wiped the list.
import { describe, expect, it } from "vitest";
import { isRecipientRefusal } from "../../src/delivery/recipient-refusal.ts";

describe("isRecipientRefusal", () => {
  it.each([
    ["550 5.1.1 No such user here", true],
    ["550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in local recipient table", true],
    ["550-5.1.1 The email account that you tried to reach does not exist.", true],
    ["553 5.1.3 Bad recipient address syntax", true],
    ["550 5.1.2 Host unknown", true],
    ["556 5.1.10 Recipient address has null MX", true],
    ["550 5.2.1 Mailbox disabled", true],
    ["551 5.1.6 Mailbox moved", true],
    ["550 5.7.1 Relaying denied", false],
    ["554 5.7.1 <bob@example.org>: Relay access denied", false],
    ["530 5.7.0 Authentication required", false],
    ["550 5.7.26 Unauthenticated email is not accepted", false],
    ["552 5.2.2 Mailbox full", false],
    ["550 5.1.8 Bad sender's system address", false],
    ["550 5.1.7 Bad sender's mailbox address syntax", false],
    ["554 5.3.0 Local configuration error", false],
    ["550 5.4.1 Recipient address rejected: Access denied", false],
    ["550 5.5.1 Protocol error", false],
    ["554 5.0.0 Service unavailable", false],
    // No enhanced code: only a clear "unknown user" on 550/551/553.
    ["550 mailbox unavailable: bob@example.org", true],
    ["550 No such user", true],
    ["551 User not local", true],
    ["550 User unknown", true],
    ["554 Transaction failed", false],
    ["554 No such user", false],
    ["550 Relaying denied", false],
    ["550 Requested action not taken: mailbox unavailable (relaying denied)", false],
    ["550 Sender address rejected: user unknown", false],
    ["550 Access denied", false],
    ["550 Rejected", false],
    ["553 sorry, that domain isn't in my list of allowed rcpthosts", false],
    // The address is not the text: "relay" or "auth" in it decides nothing.
    ["550 No such user: relay-auth@example.org", true],
  ])("%s → %s", (reply, expected) => {
    expect(isRecipientRefusal(reply)).toBe(expected);
  });

  it("reads only the start of a megabyte-long reply", () => {
    expect(isRecipientRefusal(`550 ${"a".repeat(1_000_000)}`)).toBe(false);
    expect(isRecipientRefusal(`550 ${"x@".repeat(500_000)} no such user`)).toBe(false);
  });
});
