import { describe, expect, it } from "vitest";
import { ZoneEditor } from "../../src/editor/editor";
import { screenPoint } from "../../src/editor/geometry";
import {
  COVERED_IOU,
  inside,
  iou,
  readingOrder,
  suggestionAt,
  uncovered,
  type Suggestion,
} from "../../src/editor/suggestions";
import { click, drag, makeEditor, onScreen, PICTURE, zone } from "./helpers";

const s = (x: number, y: number, width = 100, height = 40, kind: Suggestion["kind"] = "box"): Suggestion => ({
  x,
  y,
  width,
  height,
  kind,
  score: 1,
});

describe("coverage", () => {
  it("measures overlap as intersection over union", () => {
    expect(iou(s(0, 0), s(0, 0))).toBe(1);
    expect(iou(s(0, 0), s(100, 0))).toBe(0);
    expect(iou(s(0, 0, 100, 40), s(50, 0, 100, 40))).toBeCloseTo(1 / 3);
  });

  it("leaves out the suggestions a zone covers by half or more", () => {
    const covered = s(0, 0);
    const nudged = s(200, 0);
    const apart = s(400, 0);
    const zones = [zone("a", 0, 0, 100, 40), zone("b", 210, 4, 100, 40), zone("c", 460, 0, 100, 40)];
    expect(iou(nudged, zones[1]!)).toBeGreaterThanOrEqual(COVERED_IOU);
    expect(iou(apart, zones[2]!)).toBeLessThan(COVERED_IOU);
    expect(uncovered([covered, nudged, apart], zones)).toEqual([apart]);
    expect(uncovered([covered], [])).toEqual([covered]);
  });

  it("orders suggestions as a page is read, rows first", () => {
    const a = s(500, 102);
    const b = s(50, 100);
    const c = s(300, 98); // a pixel higher, same row
    const d = s(50, 200);
    expect(readingOrder([d, a, c, b])).toEqual([b, c, a, d]);
  });

  it("finds the suggestions in a lasso and the one under a point", () => {
    const table = s(0, 0, 400, 200, "frame");
    const cell = s(10, 10, 100, 40, "cell");
    expect(inside([table, cell], { x: 5, y: 5, width: 200, height: 100 })).toEqual([cell]);
    expect(suggestionAt([table, cell], { x: 50, y: 20 })).toBe(cell); // the smaller
    expect(suggestionAt([table, cell], { x: 300, y: 150 })).toBe(table);
    expect(suggestionAt([table, cell], { x: 500, y: 150 })).toBeNull();
  });
});

const FIELDS = [s(100, 100), s(300, 100), s(100, 300), s(300, 300, 100, 40, "checkbox")];

function suggesting(zones = [zone("old", 100, 100, 100, 40)]): ZoneEditor {
  const e = makeEditor(zones, 1, 0);
  e.setHints(1, { suggestions: FIELDS, lines: [] });
  e.setSuggesting(true);
  return e;
}

describe("suggestions in the editor", () => {
  it("offers the uncovered ones, shows them only while suggesting", () => {
    const e = makeEditor([zone("old", 100, 100, 100, 40)], 1, 0);
    e.setHints(1, { suggestions: FIELDS, lines: [] });
    expect(e.snapshot().suggestions).toEqual(FIELDS.slice(1));
    expect(e.scene().ghosts).toEqual([]);
    e.setSuggesting(true);
    expect(e.scene().ghosts).toEqual(FIELDS.slice(1));
  });

  it("a click on one adds it as a new zone to name, one undo step", () => {
    const e = suggesting();
    click(e, onScreen(e, 350, 120));
    expect(e.doc.zones).toHaveLength(2);
    const added = e.doc.zones[1]!;
    expect(added).toMatchObject({ x: 300, y: 100, width: 100, height: 40, name: "zone-1", folder: "zone-1", page: 1 });
    expect(e.selection).toEqual([added.id]);
    expect(e.snapshot().suggestions).toEqual([FIELDS[2], FIELDS[3]]);
    e.undo();
    expect(e.doc.zones).toHaveLength(1);
    expect(e.snapshot().suggestions).toHaveLength(3);
  });

  it("a click beside them deselects, and a drag from one still draws", () => {
    const e = suggesting();
    click(e, onScreen(e, 700, 700));
    expect(e.doc.zones).toHaveLength(1);
    drag(e, onScreen(e, 310, 110), onScreen(e, 600, 200));
    expect(e.doc.zones[1]).toMatchObject({ x: 310, y: 110, width: 290, height: 90 });
  });

  it("a Shift-drag lassoes all inside it in one undo step", () => {
    const e = suggesting();
    drag(e, onScreen(e, 50, 50), onScreen(e, 450, 380), { shiftKey: true, release: false });
    expect(e.toolState).toBe("lassoing");
    expect(e.scene().lasso).toEqual({ x: 50, y: 50, width: 400, height: 330 });
    e.pointerUp({ point: onScreen(e, 450, 380), shiftKey: true, altKey: false });
    expect(e.scene().lasso).toBeNull();
    expect(e.doc.zones.map((z) => z.name)).toEqual(["old", "zone-1", "zone-2", "zone-3"]);
    expect(e.selection).toHaveLength(3);
    expect(e.snapshot().suggestions).toEqual([]);
    e.undo();
    expect(e.doc.zones).toHaveLength(1);
  });

  it("without suggestions shown, Shift-drag draws and clicks add nothing", () => {
    const e = suggesting();
    e.setSuggesting(false);
    click(e, onScreen(e, 350, 120));
    drag(e, onScreen(e, 600, 600), onScreen(e, 700, 700), { shiftKey: true });
    expect(e.doc.zones.map((z) => z.name)).toEqual(["old", "zone-1"]);
    expect(e.doc.zones[1]).toMatchObject({ x: 600, y: 600 });
  });

  it("Escape abandons a lasso", () => {
    const e = suggesting();
    drag(e, onScreen(e, 50, 50), onScreen(e, 450, 380), { shiftKey: true, release: false });
    e.execute({ kind: "escape" });
    e.pointerUp({ point: screenPoint(450, 380), shiftKey: true, altKey: false });
    expect(e.doc.zones).toHaveLength(1);
    expect(e.scene().lasso).toBeNull();
  });

  it("each page has its own; a viewer gets none", () => {
    const e = new ZoneEditor([PICTURE, PICTURE], []);
    e.setHints(2, { suggestions: FIELDS, lines: [] });
    expect(e.snapshot().suggestions).toEqual([]);
    e.showPage(2);
    expect(e.snapshot().suggestions).toHaveLength(4);
    e.setSuggesting(true);
    e.acceptSuggestions([FIELDS[0]!]);
    expect(e.doc.zones[0]).toMatchObject({ page: 2, x: 100 });

    const viewer = new ZoneEditor(PICTURE, [], { readOnly: true });
    viewer.setHints(1, { suggestions: FIELDS, lines: [] });
    viewer.setSuggesting(true);
    viewer.acceptSuggestions(FIELDS);
    expect(viewer.snapshot().suggestions).toEqual([]);
    expect(viewer.doc.zones).toEqual([]);
  });
});
