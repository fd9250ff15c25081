import { describe, expect, it } from "vitest";
import { screenPoint } from "../../src/editor/geometry";
import { DRAG_THRESHOLD, MIN_DRAW_SCREEN_SIZE } from "../../src/editor/tools/types";
import { click, drag, makeEditor, onScreen, zone } from "./helpers";

describe("drawing", () => {
  it("draws a zone by dragging on empty picture, in image pixels", () => {
    const e = makeEditor([], 0.5);
    drag(e, onScreen(e, 100, 100), onScreen(e, 500, 300));
    expect(e.doc.zones).toHaveLength(1);
    expect(e.doc.zones[0]).toMatchObject({ name: "zone-1", x: 100, y: 100, width: 400, height: 200 });
    expect(e.selection).toEqual([e.doc.zones[0]?.id]);
    expect(e.toolState).toBe("idle");
  });

  it("draws the same zone dragged backwards", () => {
    const e = makeEditor([], 2, -100);
    drag(e, onScreen(e, 300, 200), onScreen(e, 100, 150));
    expect(e.doc.zones[0]).toMatchObject({ x: 100, y: 150, width: 200, height: 50 });
  });

  it("clamps a drawn zone to the picture", () => {
    const e = makeEditor([], 0.5);
    drag(e, onScreen(e, 1800, 900), onScreen(e, 2600, 1400));
    expect(e.doc.zones[0]).toMatchObject({ x: 1800, y: 900, width: 200, height: 100 });
  });

  it("shows the zone while drawing, and commits one undo step at the end", () => {
    const e = makeEditor([], 1);
    drag(e, onScreen(e, 10, 10), onScreen(e, 60, 60), { release: false });
    expect(e.toolState).toBe("drawing");
    expect(e.shownDoc.zones).toHaveLength(1);
    expect(e.doc.zones).toHaveLength(0);
    e.pointerUp({ point: onScreen(e, 60, 60), shiftKey: false, altKey: false });
    expect(e.doc.zones).toHaveLength(1);
    expect(e.undo()).toBe(true);
    expect(e.doc.zones).toHaveLength(0);
  });

  it("does not start a drag below the threshold: a click deselects", () => {
    const e = makeEditor([zone("a", 100, 100)], 1);
    e.select(["a"]);
    const p = onScreen(e, 800, 800);
    drag(e, p, screenPoint(p.x + DRAG_THRESHOLD - 1, p.y));
    expect(e.doc.zones).toHaveLength(1);
    expect(e.selection).toEqual([]);
  });

  it("drops a zone too small on screen to be meant", () => {
    const e = makeEditor([], 1);
    const p = onScreen(e, 500, 500);
    drag(e, p, screenPoint(p.x + 40, p.y + MIN_DRAW_SCREEN_SIZE - 1));
    expect(e.doc.zones).toHaveLength(0);
    expect(e.shownDoc.zones).toHaveLength(0);
    expect(e.dirty).toBe(false);
  });

  it("Escape abandons the drawing and ignores the rest of the drag", () => {
    const e = makeEditor([], 1);
    drag(e, onScreen(e, 10, 10), onScreen(e, 200, 200), { release: false });
    expect(e.execute({ kind: "escape" })).toBe(true);
    expect(e.shownDoc.zones).toHaveLength(0);
    e.pointerMove({ point: onScreen(e, 300, 300), shiftKey: false, altKey: false });
    e.pointerUp({ point: onScreen(e, 300, 300), shiftKey: false, altKey: false });
    expect(e.doc.zones).toHaveLength(0);
    expect(e.canUndo).toBe(false);
  });

  it("gives new zones unique names", () => {
    const e = makeEditor([], 1);
    drag(e, onScreen(e, 10, 10), onScreen(e, 100, 100));
    drag(e, onScreen(e, 200, 200), onScreen(e, 300, 300));
    expect(e.doc.zones.map((z) => z.name)).toEqual(["zone-1", "zone-2"]);
  });
});

describe("selecting and moving", () => {
  it("selects on click and deselects on empty", () => {
    const e = makeEditor([zone("a", 100, 100), zone("b", 500, 500)], 1);
    click(e, onScreen(e, 150, 150));
    expect(e.selection).toEqual(["a"]);
    click(e, onScreen(e, 550, 550));
    expect(e.selection).toEqual(["b"]);
    click(e, onScreen(e, 1500, 900));
    expect(e.selection).toEqual([]);
  });

  it("Shift-click adds to and takes from the selection", () => {
    const e = makeEditor([zone("a", 100, 100), zone("b", 500, 500)], 1);
    click(e, onScreen(e, 150, 150));
    click(e, onScreen(e, 550, 550), true);
    expect(e.selection).toEqual(["a", "b"]);
    click(e, onScreen(e, 150, 150), true);
    expect(e.selection).toEqual(["b"]);
  });

  it("moves a zone by the drag distance in image pixels", () => {
    const e = makeEditor([zone("a", 100, 100)], 0.5);
    drag(e, onScreen(e, 150, 150), onScreen(e, 450, 250));
    expect(e.doc.zones[0]).toMatchObject({ x: 400, y: 200, width: 200, height: 100 });
    expect(e.selection).toEqual(["a"]);
  });

  it("keeps a moved zone inside the picture", () => {
    const e = makeEditor([zone("a", 100, 100)], 0.25);
    drag(e, onScreen(e, 150, 150), onScreen(e, 5000, -3000));
    expect(e.doc.zones[0]).toMatchObject({ x: 1800, y: 0 });
  });

  it("moves all selected zones together", () => {
    const e = makeEditor([zone("a", 100, 100), zone("b", 500, 500)], 1);
    e.select(["a", "b"]);
    drag(e, onScreen(e, 150, 150), onScreen(e, 180, 140));
    expect(e.doc.zones.map((z) => [z.x, z.y])).toEqual([
      [130, 90],
      [530, 490],
    ]);
  });

  it("Shift keeps a move to one axis", () => {
    const e = makeEditor([zone("a", 100, 100)], 1);
    drag(e, onScreen(e, 150, 150), onScreen(e, 250, 170), { shiftKey: false });
    e.undo();
    click(e, onScreen(e, 150, 150));
    drag(e, onScreen(e, 150, 150), onScreen(e, 250, 170), { shiftKey: true });
    expect(e.doc.zones[0]).toMatchObject({ x: 200, y: 100 });
  });

  it("Escape puts a moved zone back", () => {
    const e = makeEditor([zone("a", 100, 100)], 1);
    drag(e, onScreen(e, 150, 150), onScreen(e, 400, 400), { release: false });
    expect(e.shownDoc.zones[0]).toMatchObject({ x: 350, y: 350 });
    e.execute({ kind: "escape" });
    expect(e.shownDoc.zones[0]).toMatchObject({ x: 100, y: 100 });
    e.pointerUp({ point: onScreen(e, 400, 400), shiftKey: false, altKey: false });
    expect(e.doc.zones[0]).toMatchObject({ x: 100, y: 100 });
  });

  it("a drag that ends where it began leaves no undo step", () => {
    const e = makeEditor([zone("a", 100, 100)], 1);
    const p = onScreen(e, 150, 150);
    e.pointerDown({ point: p, shiftKey: false, altKey: false, pan: false });
    e.pointerMove({ point: screenPoint(p.x + 20, p.y), shiftKey: false, altKey: false });
    e.pointerMove({ point: p, shiftKey: false, altKey: false });
    e.pointerUp({ point: p, shiftKey: false, altKey: false });
    expect(e.canUndo).toBe(false);
  });
});

describe("resizing", () => {
  it("resizes from a handle of the selected zone", () => {
    const e = makeEditor([zone("a", 100, 100)], 0.5);
    click(e, onScreen(e, 150, 150));
    drag(e, onScreen(e, 300, 200), onScreen(e, 500, 300)); // the south-east corner
    expect(e.doc.zones[0]).toMatchObject({ x: 100, y: 100, width: 400, height: 200 });
  });

  it("resizes from the west side handle only horizontally", () => {
    const e = makeEditor([zone("a", 100, 100)], 1);
    click(e, onScreen(e, 150, 150));
    drag(e, onScreen(e, 100, 150), onScreen(e, 40, 190));
    expect(e.doc.zones[0]).toMatchObject({ x: 40, y: 100, width: 260, height: 100 });
  });

  it("clamps a resize to the picture", () => {
    const e = makeEditor([zone("a", 100, 100)], 0.25);
    click(e, onScreen(e, 150, 150));
    drag(e, onScreen(e, 100, 100), onScreen(e, -900, -900));
    expect(e.doc.zones[0]).toMatchObject({ x: 0, y: 0, width: 300, height: 200 });
  });
});

describe("panning", () => {
  it("pans with the hand tool", () => {
    const e = makeEditor([zone("a", 100, 100)], 1);
    e.setTool("hand");
    drag(e, screenPoint(500, 500), screenPoint(530, 480));
    expect([e.viewport.offsetX, e.viewport.offsetY]).toEqual([80, 30]);
    expect(e.doc.zones[0]).toMatchObject({ x: 100, y: 100 });
  });

  it("pans with a pan press (space or middle button) whatever the tool", () => {
    const e = makeEditor([zone("a", 100, 100)], 1);
    drag(e, onScreen(e, 150, 150), screenPoint(300, 300), { pan: true });
    expect(e.doc.zones[0]).toMatchObject({ x: 100, y: 100 });
    expect(e.viewport.offsetX).not.toBe(50);
    expect(e.toolState).toBe("idle");
  });
});
