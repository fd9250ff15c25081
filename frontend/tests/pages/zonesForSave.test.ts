import { describe, expect, it } from "vitest";
import { createDoc } from "../../src/editor/document";
import { ZoneEditor } from "../../src/editor/editor";
import { screenPoint } from "../../src/editor/geometry";
import { createViewport } from "../../src/editor/viewport";
import {
  idMapping,
  pageSizes,
  pageUrl,
  placeErrors,
  zonesForSave,
  zonesOfModel,
} from "../../src/pages/editor/zonesForSave";
import type { Model } from "../../src/api/types";

const SERVER_ID = "0b6f1c1e-4a39-4a4e-9f1e-3f1f5c2b7a10";
const doc = createDoc({ width: 100, height: 100 }, [
  { id: SERVER_ID, name: "sig", folder: "signatures", page: 1, x: 1, y: 2, width: 3, height: 4 },
  { id: "new-1", name: "total", folder: "totals", page: 1, x: 5, y: 6, width: 7, height: 8 },
]);

describe("zonesForSave", () => {
  it("keeps the ids the server knows and leaves new zones without one", () => {
    expect(zonesForSave(doc, new Set([SERVER_ID]))).toEqual([
      { id: SERVER_ID, name: "sig", folder: "signatures", page: 1, x: 1, y: 2, width: 3, height: 4 },
      { name: "total", folder: "totals", page: 1, x: 5, y: 6, width: 7, height: 8 },
    ]);
    // A zone deleted on the server meanwhile is sent as new.
    expect(zonesForSave(doc, new Set())[0]).not.toHaveProperty("id");
  });

  it("maps local ids to the ids in the answer, by position", () => {
    const saved = { zones: [{ id: SERVER_ID }, { id: "5d1e..." }] } as unknown as Model;
    expect([...idMapping(doc, saved)]).toEqual([["new-1", "5d1e..."]]);
  });

  it("places field errors next to their zone and field", () => {
    const placed = placeErrors(doc, [
      { field: "zones[1].folder", message: "folder segment '..' is not allowed" },
      { field: "zones[1].name", message: "taken" },
      { field: "zones[0]", message: "does not fit" },
      { field: "zones", message: "too many zones" },
    ]);
    expect(placed.byZone.get("new-1")).toEqual({ folder: "folder segment '..' is not allowed", name: "taken" });
    expect(placed.byZone.get(SERVER_ID)).toEqual({ zone: "does not fit" });
    expect(placed.general).toEqual(["zones: too many zones"]);
  });
});

describe("a model of several pages", () => {
  const ids = ["1b6f1c1e-4a39-4a4e-9f1e-3f1f5c2b7a11", "2b6f1c1e-4a39-4a4e-9f1e-3f1f5c2b7a12"];
  const page = (n: number, width: number, height: number) => ({
    page: n,
    width,
    height,
    url: `/api/v1/models/m/image?page=${n}&v=${n}`,
  });
  const model = {
    image: {
      width: 1700,
      height: 2200,
      url: "/api/v1/models/m/image?v=1",
      // Listed out of order: the editor goes by the page numbers.
      pages: [page(2, 1700, 2200), page(1, 1700, 2200), page(3, 1200, 800)],
    },
    zones: [
      { id: ids[0], name: "title", folder: "titles", page: 1, x: 10, y: 20, width: 300, height: 40 },
      { id: ids[1], name: "total", folder: "totals", page: 2, x: 50, y: 60, width: 200, height: 80 },
    ],
  } as unknown as Model;

  it("reads every page's size and address, and each zone's page", () => {
    expect(pageSizes(model)).toEqual([
      { width: 1700, height: 2200 },
      { width: 1700, height: 2200 },
      { width: 1200, height: 800 },
    ]);
    expect(pageUrl(model, 3)).toBe("/api/v1/models/m/image?page=3&v=3");
    expect(zonesOfModel(model).map((z) => [z.name, z.page])).toEqual([
      ["title", 1],
      ["total", 2],
    ]);
  });

  it("reads a reference without a page list as one page", () => {
    const picture = { image: { width: 800, height: 600, url: "/one", pages: [] }, zones: [] } as unknown as Model;
    expect(pageSizes(picture)).toEqual([{ width: 800, height: 600 }]);
    expect(pageUrl(picture, 1)).toBe("/one");
  });

  it("saves every zone with its page: a zone drawn on page 3, the others untouched", () => {
    const editor = new ZoneEditor(pageSizes(model), zonesOfModel(model));
    editor.resize(1200, 800, 1);
    editor.showPage(3);
    editor.setViewport({ ...createViewport(1200, 800, 1), zoom: 1, offsetX: 0, offsetY: 0 });
    editor.pointerDown({ point: screenPoint(100, 100), shiftKey: false, altKey: false, pan: false });
    editor.pointerMove({ point: screenPoint(300, 250), shiftKey: false, altKey: false });
    editor.pointerUp({ point: screenPoint(300, 250), shiftKey: false, altKey: false });
    expect(zonesForSave(editor.doc, new Set(ids))).toEqual([
      { id: ids[0], name: "title", folder: "titles", page: 1, x: 10, y: 20, width: 300, height: 40 },
      { id: ids[1], name: "total", folder: "totals", page: 2, x: 50, y: 60, width: 200, height: 80 },
      { name: "zone-1", folder: "zone-1", page: 3, x: 100, y: 100, width: 200, height: 150 },
    ]);
  });
});
