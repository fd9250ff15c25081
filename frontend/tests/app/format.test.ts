import { describe, expect, it } from "vitest";
import { formatWait } from "../../src/lib/format";

describe("formatWait", () => {
  it("says a wait in the largest whole unit, rounded up", () => {
    expect(formatWait(1)).toBe("1 second");
    expect(formatWait(45)).toBe("45 seconds");
    expect(formatWait(60)).toBe("1 minute");
    expect(formatWait(61)).toBe("2 minutes");
    expect(formatWait(873)).toBe("15 minutes");
    expect(formatWait(3600)).toBe("1 hour");
    expect(formatWait(3601)).toBe("2 hours");
    expect(formatWait(0)).toBe("1 second");
  });
});
