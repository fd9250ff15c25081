import { describe, expect, it } from "vitest";
import { imagePoint, screenPoint, type ImageQuad } from "../../src/editor/geometry";
import { CornerDragTool, nudgeCorner } from "../../src/editor/tools/cornerDragTool";
import { createViewport, imageToScreen, type Viewport } from "../../src/editor/viewport";

const PICTURE = { width: 3200, height: 1200 };
const QUAD: ImageQuad = [imagePoint(0, 0), imagePoint(3200, 0), imagePoint(3200, 1200), imagePoint(0, 1200)];
const RADIUS = 11;

/** The picture at a quarter of its size, 20 px from the canvas's corner. */
const view = (): Viewport => ({ ...createViewport(1000, 400), zoom: 0.25, offsetX: 20, offsetY: 20 });

describe("CornerDragTool", () => {
  it("takes the corner pressed and moves it with the pointer, in image pixels", () => {
    const v = view();
    const tool = new CornerDragTool(RADIUS);
    const start = imageToScreen(v, QUAD[0]);
    expect(tool.pointerDown(v, QUAD, screenPoint(start.x + 4, start.y + 4))).toBe(0);
    expect(tool.state).toBe("dragging");
    const moved = tool.pointerMove(v, QUAD, screenPoint(start.x + 60, start.y + 40), PICTURE);
    expect(moved?.[0]).toEqual(imagePoint(240, 160));
    expect(moved?.slice(1)).toEqual(QUAD.slice(1));
    const released = tool.pointerUp(v, QUAD, screenPoint(start.x + 61, start.y + 40), PICTURE);
    expect(released?.[0]).toEqual(imagePoint(244, 160));
    expect(tool.state).toBe("idle");
    expect(tool.corner).toBeNull();
  });

  it("keeps the dragged corner on the picture", () => {
    const v = view();
    const tool = new CornerDragTool(RADIUS);
    tool.pointerDown(v, QUAD, imageToScreen(v, QUAD[2]));
    expect(tool.pointerMove(v, QUAD, screenPoint(5000, 5000), PICTURE)?.[2]).toEqual(imagePoint(3200, 1200));
    expect(tool.pointerMove(v, QUAD, screenPoint(-50, -50), PICTURE)?.[2]).toEqual(imagePoint(0, 0));
  });

  it("ignores a press on no handle, and moves without a press", () => {
    const v = view();
    const tool = new CornerDragTool(RADIUS);
    expect(tool.pointerDown(v, QUAD, screenPoint(300, 150))).toBeNull();
    expect(tool.state).toBe("idle");
    expect(tool.pointerMove(v, QUAD, screenPoint(310, 150), PICTURE)).toBeNull();
    expect(tool.pointerUp(v, QUAD, screenPoint(310, 150), PICTURE)).toBeNull();
  });

  it("keeps the first corner while a drag is under way", () => {
    const v = view();
    const tool = new CornerDragTool(RADIUS);
    tool.pointerDown(v, QUAD, imageToScreen(v, QUAD[1]));
    expect(tool.pointerDown(v, QUAD, imageToScreen(v, QUAD[3]))).toBeNull();
    expect(tool.corner).toBe(1);
  });

  it("ends on a lost pointer", () => {
    const v = view();
    const tool = new CornerDragTool(RADIUS);
    expect(tool.cancel()).toBe(false);
    tool.pointerDown(v, QUAD, imageToScreen(v, QUAD[3]));
    expect(tool.cancel()).toBe(true);
    expect(tool.state).toBe("idle");
  });
});

describe("nudgeCorner", () => {
  it("moves a corner by screen pixels, whatever the zoom", () => {
    const v = view();
    expect(nudgeCorner(v, QUAD, 0, 10, 1, PICTURE)[0]).toEqual(imagePoint(40, 4));
    expect(nudgeCorner({ ...v, zoom: 2 }, QUAD, 0, 1, 0, PICTURE)[0]).toEqual(imagePoint(0.5, 0));
  });

  it("stops at the picture's edge", () => {
    const v = view();
    expect(nudgeCorner(v, QUAD, 2, 10, 10, PICTURE)[2]).toEqual(imagePoint(3200, 1200));
    const inside = nudgeCorner(v, QUAD, 2, -10, 0, PICTURE);
    expect(nudgeCorner(v, inside, 2, 10, 0, PICTURE)[2]).toEqual(imagePoint(3200, 1200));
  });
});
