import { describe, expect, it } from "vitest";
import { ApiError, explain, NetworkError } from "../../src/api/problem";

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
