import { describe, expect, it } from "vitest";
import { Picture } from "../../src/editor/picture";
import { createViewport } from "../../src/editor/viewport";
import { drawPlacement, type PlacementCtx, type PlacementScene } from "../../src/pages/review/drawPlacement";

type Call = { name: string; args: unknown[] };

/** A 2D context that records what is drawn. */
function recordingContext(): { ctx: PlacementCtx; calls: Call[] } {
  const calls: Call[] = [];
  const target: Record<string, unknown> = {};
  const ctx = new Proxy(target, {
    get(t, prop: string) {
      if (prop in t) return t[prop];
      if (prop === "measureText") return (s: string) => ({ width: s.length * 7 });
      return (...args: unknown[]) => {
        calls.push({ name: prop, args });
      };
    },
    set(t, prop: string, value: unknown) {
      t[prop] = value;
      calls.push({ name: `set ${prop}`, args: [value] });
      return true;
    },
  }) as unknown as PlacementCtx;
  return { ctx, calls };
}

const fakeBitmap = (width: number, height: number): ImageBitmap =>
  ({ width, height, close: () => undefined }) as ImageBitmap;

/** A 3200×1200 picture shown at a quarter of its size, device pixels twice CSS pixels. */
function scene(corners: PlacementScene["corners"]): PlacementScene {
  return {
    viewport: { ...createViewport(800, 300, 2), zoom: 0.25 },
    picture: Picture.fromBitmaps({ width: 3200, height: 1200 }, fakeBitmap(3200, 1200)),
    corners,
    reference: { width: 1600, height: 1200 },
    zones: [{ name: "total", folder: "totals", x: 800, y: 600, width: 400, height: 300 }],
    folderOrder: ["totals"],
  };
}

const FULL = [
  [0, 0],
  [3200, 0],
  [3200, 1200],
  [0, 1200],
] as const;

describe("drawPlacement", () => {
  it("draws the whole picture onto the canvas through the viewport", () => {
    const { ctx, calls } = recordingContext();
    drawPlacement(ctx, scene(FULL));
    expect(calls.find((c) => c.name === "setTransform")?.args).toEqual([1, 0, 0, 1, 0, 0]);
    expect(calls.filter((c) => c.name === "setTransform")[1]?.args).toEqual([0.5, 0, 0, 0.5, 0, 0]);
    expect(calls.find((c) => c.name === "drawImage")?.args.slice(1)).toEqual([0, 0, 3200, 1200, 0, 0, 3200, 1200]);
  });

  it("outlines the page and places each zone through the corners, on screen", () => {
    const { ctx, calls } = recordingContext();
    drawPlacement(ctx, scene(FULL));
    const points = (name: string) => calls.filter((c) => c.name === name).map((c) => c.args);
    // The page outline, then the zone: the reference stretched to twice its width.
    expect(points("moveTo")).toEqual([
      [0, 0],
      [400, 150],
    ]);
    expect(points("lineTo").slice(3)).toEqual([
      [600, 150],
      [600, 225],
      [400, 225],
    ]);
    expect(calls.find((c) => c.name === "fillText")?.args).toEqual(["total", 404, 147]);
  });

  it("draws the outline alone for corners no homography can take", () => {
    const { ctx, calls } = recordingContext();
    drawPlacement(
      ctx,
      scene([
        [0, 0],
        [10, 10],
        [20, 20],
        [30, 30],
      ]),
    );
    expect(calls.filter((c) => c.name === "stroke")).toHaveLength(1);
    expect(calls.some((c) => c.name === "fillText")).toBe(false);
  });
});
