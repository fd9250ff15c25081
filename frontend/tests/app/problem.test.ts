import { describe, expect, it } from "vitest";
import { ApiError, detailOf, explain, NetworkError, parseRetryAfter } from "../../src/api/problem";

const problem = (slug: string, status: number, detail: string) =>
  new ApiError(status, { type: `https://zonecut.dev/problems/${slug}`, title: "t", status, detail });

describe("explain", () => {
  it("words the aspect-ratio refusal for a person", () => {
    const text = explain(
      problem("picture-does-not-match", 422, "the picture's aspect ratio (2.0000) differs by 50.0%"),
    );
    expect(text).toMatch(/different shape from the model's reference picture/);
    expect(text).toMatch(/The picture's aspect ratio \(2\.0000\) differs by 50\.0%\.$/);
  });

  it("words an alignment refusal differently", () => {
    expect(explain(problem("picture-does-not-match", 422, "only 3 matches"))).toMatch(/could not line this picture up/);
  });

  it("explains unsupported files and unreachable servers", () => {
    expect(explain(problem("unsupported-picture", 415, ""))).toMatch(/not a picture Zonecut can read/);
    expect(explain(new NetworkError())).toMatch(/cannot be reached/);
    expect(explain(new ApiError(502, null))).toBe("The server answered 502.");
  });

  it("leaves field errors to their fields", () => {
    const e = new ApiError(422, {
      type: "https://zonecut.dev/problems/validation-error",
      title: "Invalid request",
      status: 422,
      detail: "zones[0].folder: bad",
      errors: [{ field: "zones[0].folder", message: "bad" }],
    });
    expect(explain(e)).toBe("Some values were not accepted.");
    expect(e.fieldErrors).toHaveLength(1);
  });
});

describe("access problems", () => {
  it("reads Retry-After as seconds or as a date", () => {
    const now = Date.parse("2025-01-01T12:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter(" 7 ", now)).toBe(7);
    expect(parseRetryAfter("Wed, 01 Jan 2025 12:01:30 GMT", now)).toBe(90);
    expect(parseRetryAfter("Wed, 01 Jan 2025 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(new ApiError(429, null, "900").retryAfter).toBe(900);
    expect(new ApiError(429, null).retryAfter).toBeNull();
  });

  it("words 401 and 403 for a person", () => {
    expect(explain(problem("unauthorized", 401, "the session has ended; sign in again"))).toBe(
      "You are not signed in any more. Sign in, then try again.",
    );
    expect(explain(problem("forbidden", 403, "ada has the role operator; this needs editor"))).toBe(
      "Your role does not allow this. Ada has the role operator; this needs editor.",
    );
  });

  it("gives the server's own words where they say it all", () => {
    const conflict = problem(
      "conflict",
      409,
      "cannot demote 'ada': it is the last enabled admin; make another admin first",
    );
    expect(detailOf(conflict)).toBe("Cannot demote 'ada': it is the last enabled admin; make another admin first.");
    expect(detailOf(new ApiError(500, null))).toBe(explain(new ApiError(500, null)));
    expect(detailOf(new NetworkError())).toMatch(/cannot be reached/);
  });
});
