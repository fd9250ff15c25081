import { describe, expect, it } from "vitest";
import {
  applyHomography,
  asMatrix3,
  homographyFromPoints,
  isConvexClockwise,
  rectCorners,
  type Quad,
} from "../../src/lib/homography";

const near = (p: readonly [number, number], q: readonly [number, number]): void => {
  expect(p[0]).toBeCloseTo(q[0], 6);
  expect(p[1]).toBeCloseTo(q[1], 6);
};

describe("homography", () => {
  it("is the identity for the same corners", () => {
    const q = rectCorners(0, 0, 1600, 1200);
    const m = homographyFromPoints(q, q);
    expect(m).not.toBeNull();
    near(applyHomography(m!, [123, 456]), [123, 456]);
  });

  it("scales a rectangle onto a stretched one", () => {
    const m = homographyFromPoints(rectCorners(0, 0, 1600, 1200), rectCorners(0, 0, 3200, 1200))!;
    near(applyHomography(m, [80, 70]), [160, 70]);
    near(applyHomography(m, [1600, 1200]), [3200, 1200]);
  });

  it("maps every corner where it was asked to, perspective included", () => {
    const from = rectCorners(0, 0, 100, 50);
    const to: Quad = [
      [10, 20],
      [210, 5],
      [190, 160],
      [30, 120],
    ];
    const m = homographyFromPoints(from, to)!;
    for (let i = 0; i < 4; i++) near(applyHomography(m, from[i]!), to[i]!);
    // Straight lines stay straight: the middle of the top edge is on the mapped top edge.
    const [x, y] = applyHomography(m, [50, 0]);
    const cross = (210 - 10) * (y - 20) - (5 - 20) * (x - 10);
    expect(Math.abs(cross)).toBeLessThan(1e-6);
  });

  it("refuses degenerate corners", () => {
    const line: Quad = [
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
    ];
    expect(homographyFromPoints(rectCorners(0, 0, 10, 10), line)).toBeNull();
  });

  it("reads the API's matrices", () => {
    expect(
      asMatrix3([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]),
    ).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(asMatrix3(null)).toBeNull();
    expect(
      asMatrix3([
        [1, 0],
        [0, 1],
      ]),
    ).toBeNull();
  });

  it("tells convex clockwise corners from the rest", () => {
    expect(isConvexClockwise(rectCorners(0, 0, 10, 10))).toBe(true);
    const counter = [...rectCorners(0, 0, 10, 10)].reverse() as unknown as Quad;
    expect(isConvexClockwise(counter)).toBe(false);
    const bowtie: Quad = [
      [0, 0],
      [10, 0],
      [0, 10],
      [10, 10],
    ];
    expect(isConvexClockwise(bowtie)).toBe(false);
  });
});
