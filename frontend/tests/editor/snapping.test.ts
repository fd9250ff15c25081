import { describe, expect, it } from "vitest";
import { SNAP_DISTANCE, snapEdge, snapRect } from "../../src/editor/snapping";
import type { PrintedLine, Suggestion } from "../../src/editor/suggestions";
import { drag, makeEditor, onScreen, PICTURE } from "./helpers";

// A printed box: strokes 4 px thick, centred on x = 100 and 500, y = 200 and 300, so its
// inside runs from (102, 202) to (498, 298).
const H = (y: number, x1 = 98, x2 = 502, thickness = 4): PrintedLine => ({ x1, y1: y, x2, y2: y, thickness });
const V = (x: number, y1 = 198, y2 = 302, thickness = 4): PrintedLine => ({ x1: x, y1, x2: x, y2, thickness });
const BOX: PrintedLine[] = [H(200), H(300), V(100), V(500)];
const INSIDE = { x: 102, y: 202, width: 396, height: 96 };

describe("snapEdge", () => {
  it("puts an edge on the side of the stroke that faces the zone", () => {
    expect(snapEdge(BOX, "left", 105, [220, 280], 6)?.value).toBe(102);
    expect(snapEdge(BOX, "left", 96, [220, 280], 6)?.value).toBe(102);
    expect(snapEdge(BOX, "right", 497, [220, 280], 6)?.value).toBe(498);
    expect(snapEdge(BOX, "top", 199, [150, 450], 6)?.value).toBe(202);
    expect(snapEdge(BOX, "bottom", 303, [150, 450], 6)?.value).toBe(298);
  });

  it("snaps only within the tolerance, and only to lines reaching along the edge", () => {
    expect(snapEdge(BOX, "left", 109, [220, 280], 6)).toBeNull();
    expect(snapEdge(BOX, "left", 105, [320, 400], 6)).toBeNull(); // below the box
    expect(snapEdge(BOX, "top", 203, [600, 700], 6)).toBeNull(); // right of it
    expect(snapEdge(BOX, "top", 203, [480, 700], 6)?.value).toBe(202); // partly along
  });

  it("takes the nearest of two lines, and names the line for the guide", () => {
    const lines = [V(100), V(110, 198, 302, 2)];
    expect(snapEdge(lines, "left", 109, [220, 280], 6)).toEqual({ value: 111, line: lines[1] });
    expect(snapEdge(lines, "left", 104, [220, 280], 6)).toEqual({ value: 102, line: lines[0] });
  });

  it("follows a skewed line where the edge meets it", () => {
    const skewed: PrintedLine = { x1: 0, y1: 100, x2: 1000, y2: 110, thickness: 2 };
    // At x = 500 the centre is at 105; the top edge lands on its lower side.
    expect(snapEdge([skewed], "top", 104, [400, 600], 6)?.value).toBe(106);
  });
});

describe("snapRect", () => {
  it("snaps the edges asked for and returns their lines as guides", () => {
    const { rect, guides } = snapRect(
      { x: 97, y: 205, width: 405, height: 90 },
      ["left", "top", "right", "bottom"],
      BOX,
      6,
      PICTURE,
    );
    expect(rect).toEqual(INSIDE);
    expect(guides).toHaveLength(4);
  });

  it("leaves edges it was not asked to snap", () => {
    const { rect, guides } = snapRect({ x: 97, y: 205, width: 405, height: 90 }, ["right"], BOX, 6, PICTURE);
    expect(rect).toEqual({ x: 97, y: 205, width: 401, height: 90 });
    expect(guides).toEqual([V(500)]);
  });

  it("keeps an axis whose snapped edges would cross", () => {
    const thin = [V(100), V(104)];
    const { rect } = snapRect({ x: 100, y: 220, width: 4, height: 40 }, ["left", "right"], thin, 6, PICTURE);
    expect(rect).toEqual({ x: 100, y: 220, width: 4, height: 40 });
  });

  it("changes nothing without lines", () => {
    const r = { x: 1, y: 2, width: 3, height: 4 };
    expect(snapRect(r, ["left"], [], 6, PICTURE)).toEqual({ rect: r, guides: [] });
  });
});

const hints = (lines: PrintedLine[], suggestions: Suggestion[] = []) => ({ lines, suggestions });

describe("the select tool snaps", () => {
  it("draws the inside of a printed box from a rough drag", () => {
    const e = makeEditor([], 1, 0);
    e.setHints(1, hints(BOX));
    drag(e, onScreen(e, 98, 197), onScreen(e, 503, 301));
    expect(e.doc.zones[0]).toMatchObject(INSIDE);
  });

  it("within SNAP_DISTANCE screen pixels, whatever the zoom", () => {
    const e = makeEditor([], 0.5, 0);
    e.setHints(1, hints(BOX));
    const off = (SNAP_DISTANCE - 1) / 0.5; // image pixels, inside the tolerance at 50 %
    drag(e, onScreen(e, 102 + off, 202 + off), onScreen(e, 300, 260));
    expect(e.doc.zones[0]).toMatchObject({ x: 102, y: 202 });
    const other = makeEditor([], 0.5, 0);
    other.setHints(1, hints(BOX));
    const far = (SNAP_DISTANCE + 2) / 0.5;
    drag(other, onScreen(other, 102 + far, 202 + far), onScreen(other, 300, 260));
    expect(other.doc.zones[0]).toMatchObject({ x: 102 + far, y: 202 + far });
  });

  it("not while Alt is held", () => {
    const e = makeEditor([], 1, 0);
    e.setHints(1, hints(BOX));
    e.pointerDown({ point: onScreen(e, 98, 197), shiftKey: false, altKey: true, pan: false });
    e.pointerMove({ point: onScreen(e, 503, 301), shiftKey: false, altKey: true });
    e.pointerUp({ point: onScreen(e, 503, 301), shiftKey: false, altKey: true });
    expect(e.doc.zones[0]).toMatchObject({ x: 98, y: 197, width: 405, height: 104 });
  });

  it("shows the lines snapped to while dragging, and no guide after", () => {
    const e = makeEditor([], 1, 0);
    e.setHints(1, hints(BOX));
    drag(e, onScreen(e, 98, 197), onScreen(e, 503, 301), { release: false });
    expect(e.scene().guides).toHaveLength(4);
    e.pointerUp({ point: onScreen(e, 503, 301), shiftKey: false, altKey: false });
    expect(e.scene().guides).toEqual([]);
  });

  it("snaps only the edge a resize moves", () => {
    const e = makeEditor([{ id: "z", name: "z", folder: "z", page: 1, x: 150, y: 230, width: 200, height: 40 }], 1, 0);
    e.setHints(1, hints(BOX));
    e.select(["z"]);
    drag(e, onScreen(e, 350, 250), onScreen(e, 495, 290)); // the right-hand side handle
    expect(e.doc.zones[0]).toMatchObject({ x: 150, y: 230, width: 348, height: 40 });
  });
});
