import { describe, expect, it } from "vitest";
import { createDoc } from "../../src/editor/document";
import { idMapping, placeErrors, zonesForSave } from "../../src/pages/editor/zonesForSave";
import type { Model } from "../../src/api/types";

const SERVER_ID = "0b6f1c1e-4a39-4a4e-9f1e-3f1f5c2b7a10";
const doc = createDoc({ width: 100, height: 100 }, [
  { id: SERVER_ID, name: "sig", folder: "signatures", x: 1, y: 2, width: 3, height: 4 },
  { id: "new-1", name: "total", folder: "totals", x: 5, y: 6, width: 7, height: 8 },
]);

describe("zonesForSave", () => {
  it("keeps the ids the server knows and leaves new zones without one", () => {
    expect(zonesForSave(doc, new Set([SERVER_ID]))).toEqual([
      { id: SERVER_ID, name: "sig", folder: "signatures", x: 1, y: 2, width: 3, height: 4 },
      { name: "total", folder: "totals", x: 5, y: 6, width: 7, height: 8 },
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
