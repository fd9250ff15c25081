import { describe, expect, it } from "vitest";
import { screenPoint } from "../../src/editor/geometry";
import { ZoneEditor } from "../../src/editor/editor";
import { screenToImage } from "../../src/editor/viewport";
import { drag, makeEditor, onScreen, PICTURE, zone } from "./helpers";

describe("keyboard commands", () => {
  it("nudges by 1 px, and 10 px with Shift, within the picture", () => {
    const e = makeEditor([zone("a", 100, 100)]);
    e.select(["a"]);
    e.execute({ kind: "nudge", dx: 1, dy: 0 });
    e.execute({ kind: "nudge", dx: 0, dy: -10 });
    expect(e.doc.zones[0]).toMatchObject({ x: 101, y: 90 });
    for (let i = 0; i < 20; i++) e.execute({ kind: "nudge", dx: 0, dy: -10 });
    expect(e.doc.zones[0]).toMatchObject({ y: 0 });
  });

  it("makes a run of nudges one undo step", () => {
    const e = makeEditor([zone("a", 100, 100)]);
    e.select(["a"]);
    for (let i = 0; i < 5; i++) e.execute({ kind: "nudge", dx: 1, dy: 0 });
    e.undo();
    expect(e.doc.zones[0]).toMatchObject({ x: 100 });
  });

  it("does nothing without a selection (so the key keeps its default)", () => {
    const e = makeEditor([zone("a", 100, 100)]);
    expect(e.execute({ kind: "nudge", dx: 1, dy: 0 })).toBe(false);
    expect(e.execute({ kind: "delete" })).toBe(false);
    expect(e.execute({ kind: "duplicate" })).toBe(false);
    expect(e.execute({ kind: "escape" })).toBe(false);
  });

  it("deletes the selection, and undo brings it back", () => {
    const e = makeEditor([zone("a", 100, 100), zone("b", 500, 500)]);
    e.select(["a"]);
    e.execute({ kind: "delete" });
    expect(e.doc.zones.map((z) => z.id)).toEqual(["b"]);
    expect(e.selection).toEqual([]);
    e.execute({ kind: "undo" });
    expect(e.doc.zones.map((z) => z.id)).toEqual(["a", "b"]);
    e.execute({ kind: "redo" });
    expect(e.doc.zones.map((z) => z.id)).toEqual(["b"]);
  });

  it("duplicates and selects the copies", () => {
    const e = makeEditor([zone("a", 100, 100)]);
    e.select(["a"]);
    e.execute({ kind: "duplicate" });
    expect(e.doc.zones).toHaveLength(2);
    expect(e.doc.zones[1]).toMatchObject({ name: "a-copy", x: 110, y: 110 });
    expect(e.selection).toEqual([e.doc.zones[1]?.id]);
  });

  it("selects all, and Escape clears the selection", () => {
    const e = makeEditor([zone("a", 100, 100), zone("b", 500, 500)]);
    e.execute({ kind: "selectAll" });
    expect(e.selection).toEqual(["a", "b"]);
    expect(e.execute({ kind: "escape" })).toBe(true);
    expect(e.selection).toEqual([]);
  });

  it("leaves saving to the page", () => {
    expect(makeEditor().execute({ kind: "save" })).toBe(false);
  });
});

describe("undo and redo", () => {
  it("undoes and redoes at least 100 drawn zones", () => {
    const e = makeEditor([], 1, 0);
    for (let i = 0; i < 120; i++) {
      const x = (i % 20) * 90;
      const y = Math.floor(i / 20) * 90;
      drag(e, onScreen(e, x + 5, y + 5), onScreen(e, x + 60, y + 60), { steps: 2 });
    }
    expect(e.doc.zones).toHaveLength(120);
    for (let i = 0; i < 120; i++) expect(e.undo()).toBe(true);
    expect(e.doc.zones).toHaveLength(0);
    expect(e.dirty).toBe(false);
    for (let i = 0; i < 120; i++) expect(e.redo()).toBe(true);
    expect(e.doc.zones).toHaveLength(120);
    expect(e.doc.zones[119]).toMatchObject({ x: 1715, y: 455, width: 55, height: 55 });
  });

  it("drops a selection that undo removed", () => {
    const e = makeEditor([], 1);
    drag(e, onScreen(e, 10, 10), onScreen(e, 100, 100));
    expect(e.selection).toHaveLength(1);
    e.undo();
    expect(e.selection).toEqual([]);
  });
});

describe("side-panel edits", () => {
  it("binds numeric fields to the zone, clamped", () => {
    const e = makeEditor([zone("a", 100, 100)]);
    e.updateZone("a", { x: 1950 });
    expect(e.doc.zones[0]).toMatchObject({ x: 1800 });
    e.updateZone("a", { width: 99999 });
    expect(e.doc.zones[0]).toMatchObject({ x: 0, width: PICTURE.width });
  });

  it("makes typing in one field one undo step", () => {
    const e = makeEditor([zone("a", 100, 100)]);
    for (const name of ["s", "si", "sig"]) e.updateZone("a", { name }, "name");
    e.updateZone("a", { folder: "signatures" }, "folder");
    e.undo();
    expect(e.doc.zones[0]).toMatchObject({ name: "sig", folder: "f" });
    e.undo();
    expect(e.doc.zones[0]).toMatchObject({ name: "a" });
  });
});

describe("loading and dirty state", () => {
  it("is clean after load and after markSaved", () => {
    const e = makeEditor([zone("a", 100, 100)]);
    expect(e.dirty).toBe(false);
    e.updateZone("a", { x: 5 });
    expect(e.dirty).toBe(true);
    expect(e.snapshot().dirty).toBe(true);
    e.markSaved();
    expect(e.dirty).toBe(false);
    e.load(PICTURE, [zone("z", 1, 1)]);
    expect(e.doc.zones.map((z) => z.id)).toEqual(["z"]);
    expect(e.canUndo).toBe(false);
  });

  it("notifies subscribers on changes, with a new snapshot", () => {
    const e = makeEditor([zone("a", 100, 100)]);
    let calls = 0;
    const off = e.subscribe(() => calls++);
    const before = e.snapshot();
    e.select(["a"]);
    expect(calls).toBe(1);
    expect(e.snapshot()).not.toBe(before);
    expect(e.snapshot()).toBe(e.snapshot());
    off();
    e.select([]);
    expect(calls).toBe(1);
  });
});

describe("zoom", () => {
  it("zooms with the wheel around the pointer", () => {
    const e = makeEditor([], 1);
    const at = screenPoint(400, 300);
    const under = screenToImage(e.viewport, at);
    e.wheel(at, -100, false);
    expect(e.viewport.zoom).toBeGreaterThan(1);
    const still = screenToImage(e.viewport, at);
    expect(still.x).toBeCloseTo(under.x, 9);
    expect(still.y).toBeCloseTo(under.y, 9);
    e.wheel(at, 100000, false);
    expect(e.viewport.zoom).toBe(0.1);
  });

  it("zooms with a trackpad pinch (ctrl-wheel) faster per delta", () => {
    const a = makeEditor([], 1);
    const b = makeEditor([], 1);
    a.wheel(screenPoint(0, 0), -10, false);
    b.wheel(screenPoint(0, 0), -10, true);
    expect(b.viewport.zoom).toBeGreaterThan(a.viewport.zoom);
  });

  it("zooms with a two-finger pinch around its midpoint", () => {
    const e = makeEditor([], 1);
    const mid = screenPoint(600, 400);
    const under = screenToImage(e.viewport, mid);
    e.pinch(mid, 2);
    expect(e.viewport.zoom).toBe(2);
    expect(screenToImage(e.viewport, mid).x).toBeCloseTo(under.x, 9);
  });

  it("steps with the buttons and fits the picture", () => {
    const e = makeEditor([], 1);
    e.zoomIn();
    expect(e.viewport.zoom).toBe(1.5);
    e.zoomOut();
    e.zoomOut();
    expect(e.viewport.zoom).toBe(0.667);
    e.fit();
    expect(e.viewport.zoom).toBeCloseTo(Math.min((1200 - 48) / 2000, (800 - 48) / 1000), 9);
  });

  it("converts pointer positions correctly at a device pixel ratio of 2", () => {
    const e = makeEditor([], 0.5, 50, 2);
    drag(e, onScreen(e, 100, 100), onScreen(e, 300, 300));
    expect(e.doc.zones[0]).toMatchObject({ x: 100, y: 100, width: 200, height: 200 });
  });
});

describe("after a save", () => {
  it("adopts the server's ids everywhere, keeping undo and edits made meanwhile", () => {
    const e = makeEditor([]);
    drag(e, onScreen(e, 10, 10), onScreen(e, 200, 200));
    const local = e.doc.zones[0]?.id ?? "";
    const sent = e.doc;
    // An edit after the request went out.
    e.updateZone(local, { name: "late" });
    e.adoptSaved(sent, new Map([[local, "server-1"]]));
    expect(e.doc.zones[0]).toMatchObject({ id: "server-1", name: "late" });
    expect(e.selection).toEqual(["server-1"]);
    expect(e.dirty).toBe(true); // the late edit is not saved
    e.undo();
    expect(e.doc.zones[0]).toMatchObject({ id: "server-1", name: "zone-1" });
    expect(e.dirty).toBe(false); // this is what the server has
    e.undo();
    expect(e.doc.zones).toHaveLength(0);
    e.redo();
    expect(e.doc.zones[0]?.id).toBe("server-1");
  });
});

describe("a read-only editor", () => {
  const readOnly = (): ZoneEditor => {
    const e = new ZoneEditor(PICTURE, [zone("a", 100, 100)], { readOnly: true });
    e.resize(1200, 800, 1);
    return e;
  };

  it("pans with the hand and cannot switch to drawing", () => {
    const e = readOnly();
    expect(e.tool).toBe("hand");
    e.setTool("select");
    expect(e.execute({ kind: "tool", tool: "select" })).toBe(true);
    expect(e.tool).toBe("hand");
  });

  it("selects and zooms, but refuses every edit", () => {
    const e = readOnly();
    e.select(["a"]);
    expect(e.selection).toEqual(["a"]);
    for (const cmd of [
      { kind: "delete" },
      { kind: "duplicate" },
      { kind: "nudge", dx: 1, dy: 0 },
      { kind: "undo" },
      { kind: "redo" },
    ] as const) {
      expect(e.execute(cmd)).toBe(false);
    }
    e.updateZone("a", { name: "renamed" });
    expect(e.doc.zones).toEqual([zone("a", 100, 100)]);
    expect(e.dirty).toBe(false);
    expect(e.execute({ kind: "zoomIn" })).toBe(true);
  });

  it("drags pan the view instead of moving zones", () => {
    const e = readOnly();
    const before = e.viewport;
    drag(e, screenPoint(300, 300), screenPoint(400, 350));
    expect(e.doc.zones).toEqual([zone("a", 100, 100)]);
    expect(e.viewport.offsetX).not.toBe(before.offsetX);
  });
});
