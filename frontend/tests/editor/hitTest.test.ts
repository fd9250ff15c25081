import { describe, expect, it } from "vitest";
import { createDoc, pageView, type Zone } from "../../src/editor/document";
import { HANDLES, handlePosition, imagePoint, screenPoint, type ImageQuad } from "../../src/editor/geometry";
import { HANDLE_HIT_RADIUS, hitQuadCorner, hitTest, visibleHandles } from "../../src/editor/hitTest";
import { createViewport, imageRectToScreen, imageToScreen, type Viewport } from "../../src/editor/viewport";

const zone = (id: string, x: number, y: number, width: number, height: number): Zone => ({
  id,
  name: id,
  folder: id,
  page: 1,
  x,
  y,
  width,
  height,
});

const doc = pageView(
  createDoc({ width: 1000, height: 800 }, [zone("a", 100, 100, 200, 100), zone("b", 250, 150, 200, 100)]),
  1,
);

function view(zoom: number, dpr = 1): Viewport {
  return { ...createViewport(1200, 900, dpr), zoom, offsetX: 20, offsetY: 10 };
}

describe("hitTest", () => {
  it("finds the topmost zone under the point", () => {
    const v = view(1);
    expect(hitTest(doc, [], v, screenPoint(20 + 120, 10 + 120))).toEqual({ kind: "zone", zoneId: "a" });
    // The overlap belongs to b, drawn later.
    expect(hitTest(doc, [], v, screenPoint(20 + 280, 10 + 170))).toEqual({ kind: "zone", zoneId: "b" });
  });

  it("tells empty picture from outside the picture", () => {
    const v = view(1);
    expect(hitTest(doc, [], v, screenPoint(20 + 900, 10 + 700))).toEqual({ kind: "empty", onImage: true });
    expect(hitTest(doc, [], v, screenPoint(5, 5))).toEqual({ kind: "empty", onImage: false });
  });

  for (const zoom of [0.25, 1, 4]) {
    it(`finds each of the eight handles of the selected zone at zoom ${zoom}`, () => {
      const v = view(zoom, 2);
      const a = doc.zones[0];
      if (a === undefined) throw new Error("no zone");
      const r = imageRectToScreen(v, a);
      for (const handle of visibleHandles(r)) {
        const c = handlePosition(r, handle);
        // Slightly off the centre, still within the screen-pixel tolerance.
        const hit = hitTest(doc, ["a"], v, screenPoint(c.x + HANDLE_HIT_RADIUS - 1, c.y - HANDLE_HIT_RADIUS + 1));
        expect(hit).toEqual({ kind: "handle", zoneId: "a", handle });
      }
    });
  }

  it("shows all eight handles when the zone is large enough on screen", () => {
    expect(visibleHandles({ x: 0, y: 0, width: 100, height: 100 })).toEqual(HANDLES);
    expect(visibleHandles({ x: 0, y: 0, width: 10, height: 100 })).toEqual(["nw", "ne", "se", "sw"]);
  });

  it("measures the handle tolerance in screen pixels whatever the zoom", () => {
    const v = view(0.25);
    // 10 screen px off the corner is 40 image px at 25 %: not a handle any more.
    const r = imageRectToScreen(v, { x: 100, y: 100, width: 200, height: 100 });
    expect(hitTest(doc, ["a"], v, screenPoint(r.x - HANDLE_HIT_RADIUS - 3, r.y)).kind).toBe("empty");
  });

  it("takes handles only of a single selected zone", () => {
    const v = view(1);
    const nw = screenPoint(20 + 100, 10 + 100);
    expect(hitTest(doc, [], v, nw)).toEqual({ kind: "zone", zoneId: "a" });
    expect(hitTest(doc, ["a", "b"], v, nw)).toEqual({ kind: "zone", zoneId: "a" });
    expect(hitTest(doc, ["a"], v, nw)).toEqual({ kind: "handle", zoneId: "a", handle: "nw" });
  });

  it("prefers the selected zone's handle over a zone on top of it", () => {
    const v = view(1);
    // a's south-east corner (300, 200) lies inside b.
    expect(hitTest(doc, ["a"], v, screenPoint(20 + 300, 10 + 200))).toEqual({
      kind: "handle",
      zoneId: "a",
      handle: "se",
    });
  });
});

describe("hitQuadCorner", () => {
  const quad: ImageQuad = [imagePoint(0, 0), imagePoint(1000, 40), imagePoint(980, 800), imagePoint(20, 780)];

  for (const zoom of [0.25, 1, 4]) {
    it(`finds each corner within the handle's radius on screen at zoom ${zoom}`, () => {
      const v = view(zoom, 2);
      quad.forEach((corner, i) => {
        const c = imageToScreen(v, corner);
        expect(hitQuadCorner(v, quad, c, 11)).toBe(i);
        expect(hitQuadCorner(v, quad, screenPoint(c.x + 7, c.y - 8), 11)).toBe(i);
        // Round handles: a point at the corner of the bounding square is outside.
        expect(hitQuadCorner(v, quad, screenPoint(c.x + 10, c.y + 10), 11)).toBeNull();
      });
    });
  }

  it("takes the nearest corner where handles overlap", () => {
    const v = view(0.01);
    const close: ImageQuad = [imagePoint(0, 0), imagePoint(1000, 0), imagePoint(1000, 800), imagePoint(0, 800)];
    // 1000 image px is 10 screen px here: the handles of the top corners overlap.
    const left = imageToScreen(v, close[0]);
    expect(hitQuadCorner(v, close, screenPoint(left.x + 3, left.y), 11)).toBe(0);
    expect(hitQuadCorner(v, close, screenPoint(left.x + 7, left.y), 11)).toBe(1);
  });

  it("finds nothing away from the corners", () => {
    const v = view(1);
    expect(hitQuadCorner(v, quad, imageToScreen(v, imagePoint(500, 400)), 11)).toBeNull();
  });
});
