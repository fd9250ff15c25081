// A reference of several pages: zones belong to a page, the editor shows one page at a
// time, and undo never changes a page out of sight.

import { describe, expect, it } from "vitest";
import {
  addZone,
  changedPages,
  createDoc,
  moveZones,
  pageView,
  sameContent,
  updateZone,
  zoneCounts,
} from "../../src/editor/document";
import { ZoneEditor } from "../../src/editor/editor";
import { createViewport } from "../../src/editor/viewport";
import { click, drag, onScreen, zone } from "./helpers";

/** Three pages; the last is smaller and landscape. */
const PAGES = [
  { width: 1700, height: 2200 },
  { width: 1700, height: 2200 },
  { width: 1200, height: 800 },
];

const ZONES = [
  zone("title", 100, 100, 400, 100, "titles", 1),
  zone("total", 1000, 1800, 500, 200, "totals", 2),
  zone("sig", 100, 500, 300, 100, "signatures", 3),
];

function pagedEditor(zones = ZONES, options: ConstructorParameters<typeof ZoneEditor>[2] = {}): ZoneEditor {
  const e = new ZoneEditor(PAGES, zones, options);
  e.resize(1200, 800, 1);
  e.setViewport({ ...createViewport(1200, 800, 1), zoom: 0.25, offsetX: 50, offsetY: 50 });
  return e;
}

/** Shows `page` with the picture at zoom 0.25 and offset (50, 50), as pagedEditor starts. */
function show(e: ZoneEditor, page: number): void {
  e.showPage(page);
  e.setViewport({ ...e.viewport, zoom: 0.25, offsetX: 50, offsetY: 50 });
}

describe("a document of several pages", () => {
  const doc = createDoc(PAGES, ZONES);

  it("keeps each zone inside its own page, and on a page there is", () => {
    const d = createDoc(PAGES, [zone("wide", 1000, 0, 400, 100, "f", 3), zone("lost", 0, 0, 10, 10, "f", 9)]);
    // Page 3 is 1200 wide: the zone is pulled in, where page 1 would have let it be.
    expect(d.zones[0]).toMatchObject({ page: 3, x: 800, width: 400 });
    expect(d.zones[1]).toMatchObject({ page: 3 });
    expect(addZone(doc, zone("n", 1500, 0, 400, 50, "f", 3)).zones[3]).toMatchObject({ page: 3, x: 800 });
  });

  it("shows a page with only its zones, and counts the zones of every page", () => {
    const view = pageView(doc, 2);
    expect(view.page).toBe(2);
    expect(view.image).toEqual(PAGES[1]);
    expect(view.zones.map((z) => z.id)).toEqual(["total"]);
    expect(zoneCounts(addZone(doc, zone("more", 0, 0, 10, 10, "f", 2)))).toEqual([1, 2, 1]);
  });

  it("moves zones only as far as their page allows", () => {
    expect(moveZones(doc, ["sig"], 5000, 0).zones[2]).toMatchObject({ x: 900 });
    expect(moveZones(doc, ["total"], 5000, 0).zones[1]).toMatchObject({ x: 1200 });
  });

  it("names the pages two documents differ on", () => {
    expect(changedPages(doc, doc)).toEqual([]);
    expect(changedPages(doc, updateZone(doc, "sig", { name: "signature" }))).toEqual([3]);
    expect(changedPages(doc, addZone(doc, zone("n", 0, 0, 10, 10, "f", 2)))).toEqual([2]);
    expect(changedPages(updateZone(doc, "title", { page: 2 }), doc)).toEqual([1, 2]);
    expect(changedPages(doc, { ...doc, zones: doc.zones.slice(1) })).toEqual([1]);
  });

  it("tells documents apart by the page of a zone", () => {
    expect(sameContent(doc, updateZone(doc, "title", { page: 2 }))).toBe(false);
  });
});

describe("the editor on a reference of several pages", () => {
  it("starts on page 1 and switches pages, by number and with the page keys", () => {
    const e = pagedEditor();
    expect(e.page).toBe(1);
    expect(e.pageCount).toBe(3);
    expect(e.execute({ kind: "page", delta: -1 })).toBe(false); // no page 0: the key does its default
    expect(e.execute({ kind: "page", delta: 1 })).toBe(true);
    expect(e.page).toBe(2);
    expect(e.showPage(3)).toBe(true);
    expect(e.execute({ kind: "page", delta: 1 })).toBe(false);
    expect(e.showPage(4)).toBe(false);
    expect(e.page).toBe(3);
    expect(e.snapshot().view.page).toBe(3);
  });

  it("draws, hits and lists only the zones of the page shown", () => {
    const e = pagedEditor();
    expect(e.snapshot().view.zones.map((z) => z.id)).toEqual(["title"]);
    expect(e.scene().page.zones.map((z) => z.id)).toEqual(["title"]);
    // Where page 2's zone would be, page 1 has empty picture: a click selects nothing.
    click(e, onScreen(e, 1200, 1900));
    expect(e.selection).toEqual([]);
    show(e, 2);
    click(e, onScreen(e, 1200, 1900));
    expect(e.selection).toEqual(["total"]);
    e.select(["title", "total"]);
    expect(e.selection).toEqual(["total"]); // title is on page 1
    e.execute({ kind: "selectAll" });
    expect(e.selection).toEqual(["total"]);
  });

  it("puts a zone drawn on the picture on the page shown", () => {
    const e = pagedEditor();
    show(e, 3);
    drag(e, onScreen(e, 600, 100), onScreen(e, 1000, 300));
    const drawn = e.doc.zones[3];
    expect(drawn).toMatchObject({ page: 3, x: 600, y: 100, width: 400, height: 200, name: "zone-1" });
    expect(e.selection).toEqual([drawn?.id]);
    // Drawing past the edge of the smaller page stops at its edge.
    drag(e, onScreen(e, 1000, 500), onScreen(e, 1600, 900));
    expect(e.doc.zones[4]).toMatchObject({ page: 3, x: 1000, width: 200, height: 300 });
  });

  it("leaves the zones of other pages as they are", () => {
    const e = pagedEditor();
    show(e, 3);
    drag(e, onScreen(e, 600, 100), onScreen(e, 1000, 300));
    e.execute({ kind: "nudge", dx: 10, dy: 0 });
    e.execute({ kind: "duplicate" });
    expect(e.doc.zones.slice(0, 3)).toEqual(ZONES);
    expect(e.doc.zones.slice(3).map((z) => z.page)).toEqual([3, 3]);
  });

  it("ends the selection and any gesture on a page switch, and fits the new page", () => {
    const e = pagedEditor();
    e.select(["title"]);
    drag(e, onScreen(e, 800, 800), onScreen(e, 1000, 1000), { release: false });
    expect(e.gestureActive).toBe(true);
    e.showPage(3);
    expect(e.gestureActive).toBe(false);
    expect(e.selection).toEqual([]);
    expect(e.doc.zones).toHaveLength(3); // the drawing under way was dropped
    // Page 3 (1200×800) fitted into 1200×800 less the margins.
    expect(e.viewport.zoom).toBeCloseTo(Math.min((1200 - 48) / 1200, (800 - 48) / 800), 9);
  });

  it("stays unsaved across page switches, and switching is no edit", () => {
    const e = pagedEditor();
    e.showPage(2);
    expect(e.dirty).toBe(false);
    expect(e.canUndo).toBe(false);
    e.updateZone("total", { name: "sum" });
    e.showPage(1);
    expect(e.dirty).toBe(true);
    expect(e.snapshot().dirty).toBe(true);
  });

  it("shows the page an undo or redo changes, when it is not the page shown", () => {
    const e = pagedEditor();
    show(e, 2);
    click(e, onScreen(e, 1200, 1900));
    e.execute({ kind: "nudge", dx: 0, dy: -10 });
    expect(e.doc.zones[1]).toMatchObject({ y: 1790 });
    show(e, 1);
    expect(e.undo()).toBe(true);
    expect(e.page).toBe(2);
    expect(e.doc.zones[1]).toMatchObject({ y: 1800 });
    expect(e.dirty).toBe(false);
    show(e, 3);
    expect(e.redo()).toBe(true);
    expect(e.page).toBe(2);
    expect(e.doc.zones[1]).toMatchObject({ y: 1790 });
    // An undo of a change on the page shown stays there.
    e.updateZone("total", { name: "sum" });
    e.undo();
    expect(e.page).toBe(2);
  });

  it("brings back a zone deleted on another page by showing that page", () => {
    const e = pagedEditor();
    show(e, 3);
    e.select(["sig"]);
    e.execute({ kind: "delete" });
    show(e, 1);
    e.undo();
    expect(e.page).toBe(3);
    expect(e.doc.zones.map((z) => z.id)).toEqual(["title", "total", "sig"]);
    expect(e.snapshot().view.zones.map((z) => z.id)).toEqual(["sig"]);
  });

  it("keeps the page shown when the server's zones are loaded again", () => {
    const e = pagedEditor();
    e.showPage(3);
    e.load(PAGES, ZONES);
    expect(e.page).toBe(3);
    e.load(PAGES.slice(0, 2), ZONES.slice(0, 2));
    expect(e.page).toBe(2);
  });

  it("reveals a zone of another page: shows its page and selects it", () => {
    const e = pagedEditor();
    e.reveal("sig");
    expect(e.page).toBe(3);
    expect(e.selection).toEqual(["sig"]);
    e.reveal("nope");
    expect(e.page).toBe(3);
  });

  it("lets a read-only viewer turn pages", () => {
    const e = pagedEditor(ZONES, { readOnly: true });
    expect(e.execute({ kind: "page", delta: 1 })).toBe(true);
    expect(e.page).toBe(2);
  });

  it("has one page for a picture, and the page keys do nothing there", () => {
    const e = new ZoneEditor({ width: 800, height: 600 }, [zone("a", 10, 10)]);
    expect(e.pageCount).toBe(1);
    expect(e.execute({ kind: "page", delta: 1 })).toBe(false);
    expect(e.snapshot().view.zones.map((z) => z.id)).toEqual(["a"]);
  });
});
