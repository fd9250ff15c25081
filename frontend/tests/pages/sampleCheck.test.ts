// The chip beside Save: what the samples check says, in a few words.

import { describe, expect, it } from "vitest";
import type { SampleCheck } from "../../src/api/types";
import { checkSummary, type SampleCheckState } from "../../src/pages/editor/useSampleCheck";

function answered(unchanged: number, changed: number, refused: number): SampleCheckState {
  const result: SampleCheck = {
    model_id: "m",
    model_version: 3,
    proposed: true,
    unchanged,
    changed,
    refused,
    samples: [],
  };
  return { status: "done", result, error: null };
}

describe("checkSummary", () => {
  it("says nothing without samples", () => {
    expect(checkSummary({ status: "idle", result: null, error: null }, 0)).toBeNull();
  });

  it("counts the samples kept while the zones are as saved", () => {
    expect(checkSummary({ status: "idle", result: null, error: null }, 1)).toEqual({
      text: "1 sample kept",
      tone: "neutral",
    });
  });

  it("is green when nothing changes, and says how many change or are refused", () => {
    expect(checkSummary(answered(3, 0, 0), 3)).toEqual({ text: "Samples unchanged", tone: "success" });
    expect(checkSummary(answered(1, 2, 0), 3)).toEqual({ text: "2 of 3 samples change", tone: "warning" });
    // a refused sample outranks changes: it is shown, not hidden
    expect(checkSummary(answered(0, 2, 1), 3)).toEqual({ text: "1 of 3 samples refused", tone: "danger" });
  });

  it("says when it is checking or could not check", () => {
    expect(checkSummary({ status: "checking", result: null, error: null }, 2)?.text).toBe("Checking 2 samples…");
    expect(checkSummary({ status: "failed", result: null, error: "no" }, 2)?.tone).toBe("warning");
  });
});
