import { describe, expect, it } from "vitest";
import { imagePoint, screenPoint } from "../../src/editor/geometry";
import {
  backingSize,
  clientToScreen,
  createViewport,
  deviceToScreen,
  fitImage,
  imageRectToScreen,
  imageToDeviceTransform,
  imageToScreen,
  MAX_ZOOM,
  MIN_ZOOM,
  panBy,
  resizeViewport,
  screenLengthToImage,
  screenToDevice,
  screenToImage,
  steppedZoom,
  zoomAt,
  zoomBy,
  viewportFitting,
  type Viewport,
} from "../../src/editor/viewport";

const ZOOMS = [0.1, 0.25, 0.5, 1, 2, 3.7, 8];
const DPRS = [1, 1.25, 1.5, 2, 3];

function vp(zoom: number, dpr: number, offsetX = 37, offsetY = -12): Viewport {
  return { ...createViewport(1200, 800, dpr), zoom, offsetX, offsetY };
}

describe("screen <-> image conversion", () => {
  for (const zoom of ZOOMS) {
    for (const dpr of DPRS) {
      it(`round-trips at zoom ${zoom}, pixel ratio ${dpr}`, () => {
        const v = vp(zoom, dpr);
        const p = imagePoint(123.5, 456.25);
        const s = imageToScreen(v, p);
        expect(s.x).toBeCloseTo(123.5 * zoom + 37, 9);
        expect(s.y).toBeCloseTo(456.25 * zoom - 12, 9);
        const back = screenToImage(v, s);
        expect(back.x).toBeCloseTo(p.x, 9);
        expect(back.y).toBeCloseTo(p.y, 9);
        // Screen points are CSS pixels: the pixel ratio does not change them...
        expect(imageToScreen(vp(zoom, 1), p)).toEqual(s);
        // ...only the backing store's device pixels.
        const d = screenToDevice(v, s);
        expect(d.x).toBeCloseTo(s.x * dpr, 9);
        const again = deviceToScreen(v, d);
        expect(again.x).toBeCloseTo(s.x, 9);
        expect(again.y).toBeCloseTo(s.y, 9);
      });
    }
  }

  it("maps one screen pixel to 1/zoom image pixels", () => {
    for (const zoom of ZOOMS) {
      const v = vp(zoom, 2);
      const a = screenToImage(v, screenPoint(100, 100));
      const b = screenToImage(v, screenPoint(101, 100));
      expect(b.x - a.x).toBeCloseTo(1 / zoom, 9);
      expect(screenLengthToImage(v, 7)).toBeCloseTo(7 / zoom, 9);
    }
  });

  it("takes client coordinates relative to the canvas box", () => {
    expect(clientToScreen(150, 90, { left: 100, top: 40 })).toEqual(screenPoint(50, 50));
  });

  it("converts rectangles", () => {
    expect(imageRectToScreen(vp(2, 1, 10, 20), { x: 5, y: 5, width: 10, height: 4 })).toEqual({
      x: 20,
      y: 30,
      width: 20,
      height: 8,
    });
  });

  it("gives the device-pixel transform and backing size", () => {
    const v = vp(0.5, 2, 30, 40);
    expect(imageToDeviceTransform(v)).toEqual([1, 0, 0, 1, 60, 80]);
    expect(backingSize(v)).toEqual({ width: 2400, height: 1600 });
    expect(backingSize({ ...v, dpr: 1.25, width: 333, height: 201 })).toEqual({ width: 416, height: 251 });
  });

  it("treats a missing pixel ratio as 1", () => {
    expect(createViewport(10, 10, 0).dpr).toBe(1);
  });
});

describe("zoom", () => {
  it("keeps the image point under the pointer in place", () => {
    for (const dpr of DPRS) {
      const v = vp(1, dpr);
      const anchor = screenPoint(321, 123);
      const under = screenToImage(v, anchor);
      for (const zoom of ZOOMS) {
        const z = zoomAt(v, zoom, anchor);
        const after = imageToScreen(z, under);
        expect(after.x).toBeCloseTo(anchor.x, 9);
        expect(after.y).toBeCloseTo(anchor.y, 9);
      }
    }
  });

  it("stays between 10 % and 800 %", () => {
    const v = vp(1, 1);
    expect(zoomBy(v, 1000, screenPoint(0, 0)).zoom).toBe(MAX_ZOOM);
    expect(zoomBy(v, 0.0001, screenPoint(0, 0)).zoom).toBe(MIN_ZOOM);
    expect(MIN_ZOOM).toBe(0.1);
    expect(MAX_ZOOM).toBe(8);
  });

  it("returns the same viewport when the zoom cannot change", () => {
    const v = vp(MAX_ZOOM, 1);
    expect(zoomBy(v, 2, screenPoint(5, 5))).toBe(v);
  });

  it("steps through fixed levels", () => {
    expect(steppedZoom(1, 1)).toBe(1.5);
    expect(steppedZoom(1, -1)).toBe(0.667);
    expect(steppedZoom(0.8, 1)).toBe(1);
    expect(steppedZoom(8, 1)).toBe(8);
    expect(steppedZoom(0.1, -1)).toBe(0.1);
  });
});

describe("fit, pan and resize", () => {
  it("fits a large picture inside the canvas with padding, centred", () => {
    const v = fitImage(createViewport(1000, 600, 2), { width: 4000, height: 3000 }, 20);
    expect(v.zoom).toBeCloseTo(560 / 3000, 9);
    expect(v.offsetX).toBeCloseTo((1000 - 4000 * v.zoom) / 2, 9);
    expect(v.offsetY).toBeCloseTo(20, 9);
  });

  it("never magnifies a small picture beyond 100 % when fitting", () => {
    const v = fitImage(createViewport(1000, 600), { width: 200, height: 100 });
    expect(v.zoom).toBe(1);
    expect(v.offsetX).toBe(400);
    expect(v.offsetY).toBe(250);
  });

  it("pans by screen pixels", () => {
    const v = panBy(vp(2, 1, 0, 0), 15, -5);
    expect([v.offsetX, v.offsetY]).toEqual([15, -5]);
  });

  it("keeps the centre when the canvas is resized", () => {
    const v = vp(2, 1, 100, 100);
    const before = screenToImage(v, screenPoint(600, 400));
    const r = resizeViewport(v, 1000, 700, 2);
    const after = screenToImage(r, screenPoint(500, 350));
    expect(after.x).toBeCloseTo(before.x, 9);
    expect(after.y).toBeCloseTo(before.y, 9);
    expect(r.dpr).toBe(2);
  });
});

describe("viewportFitting", () => {
  it("sizes the canvas to the whole picture at the largest zoom that fits", () => {
    const wide = viewportFitting({ width: 3200, height: 1200 }, { width: 1000, height: 612 }, 2);
    expect(wide).toEqual({ zoom: 1000 / 3200, offsetX: 0, offsetY: 0, width: 1000, height: 375, dpr: 2 });
    const tall = viewportFitting({ width: 1000, height: 2000 }, { width: 1000, height: 612 });
    expect(tall).toMatchObject({ zoom: 0.306, width: 306, height: 612, dpr: 1 });
  });

  it("magnifies a small picture and shrinks a huge one past the zoom limits", () => {
    expect(viewportFitting({ width: 100, height: 50 }, { width: 800, height: 800 })?.zoom).toBe(8);
    expect(viewportFitting({ width: 100, height: 50 }, { width: 1600, height: 1600 })?.zoom).toBe(16);
    expect(viewportFitting({ width: 40000, height: 100 }, { width: 800, height: 800 })?.zoom).toBe(0.02);
  });

  it("places image pixels on the canvas by the zoom alone", () => {
    const v = viewportFitting({ width: 3200, height: 1200 }, { width: 1000, height: 612 });
    if (v === null) throw new Error("no viewport");
    expect(imageToScreen(v, imagePoint(3200, 1200))).toEqual(screenPoint(1000, 375));
    expect(screenToImage(v, screenPoint(500, 0))).toEqual(imagePoint(1600, 0));
  });

  it("is null while there is no room", () => {
    expect(viewportFitting({ width: 3200, height: 1200 }, { width: 0, height: 612 })).toBeNull();
  });
});
