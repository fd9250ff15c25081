import { describe, expect, it } from "vitest";
import { ApiError, NetworkError } from "../../src/api/problem";
import { describeDetail, pageRange } from "../../src/pages/audit/AuditPage";
import { signInFailure } from "../../src/pages/access/SignInPage";
import { expiryFromDay, keyStatus, today } from "../../src/pages/keys/expiry";

const problem = (slug: string, status: number, detail: string) => ({
  type: `https://zonecut.dev/problems/${slug}`,
  title: "t",
  status,
  detail,
});

describe("signing in", () => {
  it("shows the server's detail for a wrong password", () => {
    const wrong = new ApiError(401, problem("unauthorized", 401, "the username or password is wrong"));
    expect(signInFailure(wrong)).toBe("The username or password is wrong.");
  });

  it("adds the wait to a throttled sign-in", () => {
    const detail = "too many failed sign-ins for 'ada'; try again in 873 s";
    const throttled = new ApiError(429, problem("too-many-requests", 429, detail), "873");
    const text = signInFailure(throttled, Date.parse("2025-01-01T12:00:00Z"));
    expect(text).toMatch(/^Too many failed sign-ins for 'ada'; try again in 873 s\. /);
    expect(text).toMatch(/You can try again in 15 minutes \(at .+\)\.$/);
  });

  it("explains a server that cannot be reached", () => {
    expect(signInFailure(new NetworkError())).toMatch(/cannot be reached/);
  });
});

describe("key expiry", () => {
  it("is the end of the chosen day where the browser is", () => {
    const iso = expiryFromDay("2031-03-31");
    expect(iso).not.toBeNull();
    const at = new Date(iso ?? "");
    expect([at.getFullYear(), at.getMonth() + 1, at.getDate(), at.getHours(), at.getMinutes()]).toEqual([
      2031, 3, 31, 23, 59,
    ]);
    expect(iso).toMatch(/Z$/);
  });

  it("is none without a day, and refuses what is not a day", () => {
    expect(expiryFromDay("")).toBeNull();
    expect(() => expiryFromDay("someday")).toThrow(RangeError);
  });

  it("offers today as the earliest day", () => {
    expect(today(new Date(2025, 0, 5, 23, 30))).toBe("2025-01-05");
  });

  it("tells active, expired and revoked keys apart", () => {
    const now = Date.parse("2025-06-01T00:00:00Z");
    expect(keyStatus({ revoked_at: null, expires_at: null }, now)).toBe("active");
    expect(keyStatus({ revoked_at: null, expires_at: "2025-07-01T00:00:00Z" }, now)).toBe("active");
    expect(keyStatus({ revoked_at: null, expires_at: "2025-05-01T00:00:00Z" }, now)).toBe("expired");
    expect(keyStatus({ revoked_at: "2025-05-02T00:00:00Z", expires_at: "2025-05-01T00:00:00Z" }, now)).toBe("revoked");
  });
});

describe("the audit log", () => {
  it("says an event's detail in short pairs", () => {
    expect(describeDetail({})).toBe("");
    expect(describeDetail({ username: "nina", role: "editor" })).toBe("username: nina · role: editor");
    expect(describeDetail({ models: ["m1"], zones: 2, via: null })).toBe('models: ["m1"] · zones: 2 · via: null');
  });

  it("says which events a page shows", () => {
    expect(pageRange(0, 50, 230)).toBe("1–50 of 230");
    expect(pageRange(200, 30, 230)).toBe("201–230 of 230");
    expect(pageRange(0, 0, 0)).toBe("0 of 0");
  });
});
