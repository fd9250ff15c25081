import { describe, expect, it } from "vitest";
import type { Review } from "../../src/api/types";
import { imagePoint } from "../../src/editor/geometry";
import { fromImageQuad, initialCorners, reasonText, toImageQuad } from "../../src/pages/review/placement";

const item = (guess: number[][] | null): Review =>
  ({
    guess,
    source: { filename: "a.png", format: "png", width: 3200, height: 1200, bytes: 1, sha256: "x" },
  }) as unknown as Review;

describe("review placement", () => {
  it("starts from the full frame without a guess", () => {
    expect(initialCorners(item(null), { width: 1600, height: 1200 })).toEqual([
      [0, 0],
      [3200, 0],
      [3200, 1200],
      [0, 1200],
    ]);
  });

  it("starts from the guess when there is one", () => {
    const corners = initialCorners(
      item([
        [0.5, 0, 100],
        [0, 0.5, 50],
        [0, 0, 1],
      ]),
      { width: 1600, height: 1200 },
    );
    expect(corners).toEqual([
      [100, 50],
      [900, 50],
      [900, 650],
      [100, 650],
    ]);
  });

  it("falls back to the full frame for a guess that folds the page", () => {
    const mirrored = [
      [-1, 0, 1600],
      [0, 1, 0],
      [0, 0, 1],
    ];
    expect(initialCorners(item(mirrored), { width: 1600, height: 1200 })[1]).toEqual([3200, 0]);
  });

  it("hands the corners to the editor core as image points, and takes them back", () => {
    const corners = [
      [100, 50],
      [900.5, 50],
      [900, 650],
      [100, 650.25],
    ] as const;
    const quad = toImageQuad(corners);
    expect(quad[1]).toEqual(imagePoint(900.5, 50));
    expect(fromImageQuad(quad)).toEqual(corners);
  });

  it("puts reasons in words", () => {
    expect(reasonText("picture-does-not-match")).toBe("Picture does not match");
    expect(reasonText("")).toBe("Refused");
  });
});
