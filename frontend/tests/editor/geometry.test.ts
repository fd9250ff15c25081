import { describe, expect, it } from "vitest";
import {
  clampGroupDelta,
  clampRect,
  HANDLES,
  handleCursor,
  handlePosition,
  imagePoint,
  moveQuadCorner,
  moveRect,
  rectFromCorners,
  resizeRect,
  type Handle,
  type ImageQuad,
  type Rect,
} from "../../src/editor/geometry";

const PICTURE = { width: 1000, height: 800 };
const R: Rect = { x: 100, y: 200, width: 300, height: 150 };

describe("rectFromCorners", () => {
  it("spans two corners in any order, rounded", () => {
    expect(rectFromCorners(imagePoint(10.4, 20.6), imagePoint(50.5, 5.2), PICTURE)).toEqual({
      x: 10,
      y: 5,
      width: 41,
      height: 16,
    });
  });

  it("clamps to the picture", () => {
    expect(rectFromCorners(imagePoint(-50, -10), imagePoint(1200, 900), PICTURE)).toEqual({
      x: 0,
      y: 0,
      width: 1000,
      height: 800,
    });
  });
});

describe("clampRect", () => {
  it("shifts a zone that pokes out back inside without shrinking it", () => {
    expect(clampRect({ x: 900, y: -20, width: 300, height: 100 }, PICTURE)).toEqual({
      x: 700,
      y: 0,
      width: 300,
      height: 100,
    });
  });

  it("shrinks a zone larger than the picture to the picture", () => {
    expect(clampRect({ x: -5, y: -5, width: 5000, height: 5000 }, PICTURE)).toEqual({ x: 0, y: 0, ...PICTURE });
  });

  it("keeps at least one pixel and whole pixels", () => {
    expect(clampRect({ x: 10.6, y: 3.2, width: 0, height: -4 }, PICTURE)).toEqual({ x: 11, y: 3, width: 1, height: 1 });
  });
});

describe("moveRect and clampGroupDelta", () => {
  it("moves by whole pixels and stops at the edges", () => {
    expect(moveRect(R, 10.4, -5.6, PICTURE)).toEqual({ ...R, x: 110, y: 194 });
    expect(moveRect(R, 5000, 5000, PICTURE)).toEqual({ ...R, x: 700, y: 650 });
    expect(moveRect(R, -5000, -5000, PICTURE)).toEqual({ ...R, x: 0, y: 0 });
  });

  it("limits a group's move by its bounding box so the group keeps its shape", () => {
    const a: Rect = { x: 10, y: 10, width: 10, height: 10 };
    const b: Rect = { x: 900, y: 700, width: 50, height: 50 };
    expect(clampGroupDelta([a, b], 100, 100, PICTURE)).toEqual({ dx: 50, dy: 50 });
    expect(clampGroupDelta([a, b], -100, -3, PICTURE)).toEqual({ dx: -10, dy: -3 });
    expect(clampGroupDelta([], 5, 5, PICTURE)).toEqual({ dx: 0, dy: 0 });
  });
});

describe("resizeRect from each of the eight handles", () => {
  // Dragging each handle by (+20, +10): which edges follow.
  const cases: Record<Handle, Rect> = {
    nw: { x: 120, y: 210, width: 280, height: 140 },
    n: { x: 100, y: 210, width: 300, height: 140 },
    ne: { x: 100, y: 210, width: 320, height: 140 },
    e: { x: 100, y: 200, width: 320, height: 150 },
    se: { x: 100, y: 200, width: 320, height: 160 },
    s: { x: 100, y: 200, width: 300, height: 160 },
    sw: { x: 120, y: 200, width: 280, height: 160 },
    w: { x: 120, y: 200, width: 280, height: 150 },
  };
  for (const handle of HANDLES) {
    it(`${handle} moves only its own edges`, () => {
      expect(resizeRect(R, handle, 20, 10, PICTURE)).toEqual(cases[handle]);
    });
  }

  it("keeps the opposite corner fixed when dragging a corner", () => {
    const r = resizeRect(R, "nw", -40, -30, PICTURE);
    expect(r.x + r.width).toBe(R.x + R.width);
    expect(r.y + r.height).toBe(R.y + R.height);
    expect(r).toEqual({ x: 60, y: 170, width: 340, height: 180 });
  });

  it("flips when an edge is dragged past the opposite one", () => {
    // The east edge dragged 400 px left: 100 px beyond the west edge.
    expect(resizeRect(R, "e", -400, 0, PICTURE)).toEqual({ x: 0, y: 200, width: 100, height: 150 });
    expect(resizeRect(R, "s", 0, -200, PICTURE)).toEqual({ x: 100, y: 150, width: 300, height: 50 });
    expect(resizeRect(R, "nw", 350, 200, PICTURE)).toEqual({ x: 400, y: 350, width: 50, height: 50 });
  });

  it("never makes a zone thinner than one pixel", () => {
    expect(resizeRect(R, "e", -300, 0, PICTURE).width).toBe(1);
    expect(resizeRect(R, "n", 0, 150, PICTURE).height).toBe(1);
    expect(resizeRect(R, "w", 300, 0, PICTURE)).toEqual({ x: 399, y: 200, width: 1, height: 150 });
  });

  it("clamps each handle to the picture", () => {
    expect(resizeRect(R, "se", 5000, 5000, PICTURE)).toEqual({ x: 100, y: 200, width: 900, height: 600 });
    expect(resizeRect(R, "nw", -5000, -5000, PICTURE)).toEqual({ x: 0, y: 0, width: 400, height: 350 });
    expect(resizeRect(R, "ne", 5000, -5000, PICTURE)).toEqual({ x: 100, y: 0, width: 900, height: 350 });
    expect(resizeRect(R, "sw", -5000, 5000, PICTURE)).toEqual({ x: 0, y: 200, width: 400, height: 600 });
  });

  it("keeps the minimum size at the picture's edge", () => {
    const edge: Rect = { x: 999, y: 0, width: 1, height: 10 };
    expect(resizeRect(edge, "w", 5, 0, PICTURE)).toEqual({ x: 999, y: 0, width: 1, height: 10 });
  });

  it("rounds fractional drags to whole pixels", () => {
    expect(resizeRect(R, "se", 0.4, 0.6, PICTURE)).toEqual({ x: 100, y: 200, width: 300, height: 151 });
  });
});

describe("handles", () => {
  it("sit at the corners and the middles of the sides", () => {
    const r: Rect = { x: 0, y: 0, width: 100, height: 50 };
    expect(handlePosition(r, "nw")).toEqual({ x: 0, y: 0 });
    expect(handlePosition(r, "n")).toEqual({ x: 50, y: 0 });
    expect(handlePosition(r, "e")).toEqual({ x: 100, y: 25 });
    expect(handlePosition(r, "se")).toEqual({ x: 100, y: 50 });
    expect(handlePosition(r, "sw")).toEqual({ x: 0, y: 50 });
    expect(handlePosition(r, "w")).toEqual({ x: 0, y: 25 });
  });

  it("have resize cursors", () => {
    expect(handleCursor("nw")).toBe("nwse-resize");
    expect(handleCursor("ne")).toBe("nesw-resize");
    expect(handleCursor("n")).toBe("ns-resize");
    expect(handleCursor("w")).toBe("ew-resize");
  });
});

describe("moveQuadCorner", () => {
  const quad: ImageQuad = [imagePoint(10, 20), imagePoint(900, 30), imagePoint(880, 700), imagePoint(15, 690)];

  it("moves one corner and keeps the others", () => {
    const moved = moveQuadCorner(quad, 2, imagePoint(850.04, 650.06), PICTURE);
    expect(moved.map((p) => [p.x, p.y])).toEqual([
      [10, 20],
      [900, 30],
      [850, 650.1],
      [15, 690],
    ]);
    expect(quad[2]).toEqual(imagePoint(880, 700));
  });

  it("keeps the corner on the picture", () => {
    expect(moveQuadCorner(quad, 0, imagePoint(-40, -3), PICTURE)[0]).toEqual(imagePoint(0, 0));
    expect(moveQuadCorner(quad, 2, imagePoint(1200, 801), PICTURE)[2]).toEqual(imagePoint(1000, 800));
  });
});
