import { describe, expect, it } from "vitest";
import { describeAttempt } from "../../src/pages/webhooks/events";

describe("a delivery's last attempt in words", () => {
  it("says what the receiver answered, or why nothing was sent", () => {
    const base = { status: "pending" as const, attempts: 0, last_status: null, last_error: null };
    expect(describeAttempt(base)).toBe("not sent yet");
    expect(describeAttempt({ ...base, status: "delivered", attempts: 3, last_status: 200 })).toBe("answered 200");
    expect(describeAttempt({ ...base, attempts: 1, last_status: 500, last_error: "answered 500" })).toBe(
      "answered 500",
    );
    const refused = "localhost resolves to 127.0.0.1, a loopback address";
    expect(describeAttempt({ ...base, attempts: 1, last_error: refused })).toBe(refused);
  });
});
