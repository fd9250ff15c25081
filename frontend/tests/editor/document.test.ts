import { describe, expect, it } from "vitest";
import {
  addZone,
  createDoc,
  duplicateZones,
  foldersOf,
  moveZones,
  nextZoneName,
  removeZones,
  sameContent,
  uniqueName,
  updateZone,
  type Zone,
} from "../../src/editor/document";

const z = (id: string, x: number, y: number, w = 50, h = 40, folder = "f"): Zone => ({
  id,
  name: id,
  folder,
  page: 1,
  x,
  y,
  width: w,
  height: h,
});
const base = createDoc({ width: 400, height: 300 }, [z("a", 10, 10), z("b", 300, 200, 80, 80, "g")]);

describe("zone document", () => {
  it("clamps zones given to it into the picture", () => {
    const d = createDoc({ width: 100, height: 100 }, [z("x", 90, -5, 30, 20)]);
    expect(d.zones[0]).toMatchObject({ x: 70, y: 0, width: 30, height: 20 });
  });

  it("never changes a document in place", () => {
    const before = JSON.stringify(base);
    updateZone(base, "a", { x: 20 });
    moveZones(base, ["a"], 5, 5);
    removeZones(base, ["a"]);
    addZone(base, z("c", 0, 0));
    expect(JSON.stringify(base)).toBe(before);
  });

  it("updates a zone, clamping its geometry", () => {
    const d = updateZone(base, "a", { name: "sig", x: 390, width: 50.4 });
    expect(d.zones[0]).toMatchObject({ name: "sig", x: 350, width: 50 });
    expect(updateZone(base, "a", { x: 10 })).toBe(base);
    expect(updateZone(base, "nope", { x: 1 })).toBe(base);
  });

  it("moves a group as far as the picture allows", () => {
    const d = moveZones(base, ["a", "b"], 100, 100);
    // b's bottom-right (380, 280) can go 20 further.
    expect(d.zones.map((q) => [q.x, q.y])).toEqual([
      [30, 30],
      [320, 220],
    ]);
    expect(moveZones(base, ["b"], 500, 0).zones[1]).toMatchObject({ x: 320 });
  });

  it("removes zones", () => {
    expect(removeZones(base, ["a"]).zones.map((q) => q.id)).toEqual(["b"]);
    expect(removeZones(base, [])).toBe(base);
  });

  it("names zones uniquely, ignoring case", () => {
    const d = createDoc({ width: 100, height: 100 }, [{ ...z("1", 0, 0), name: "Zone-1" }]);
    expect(nextZoneName(d)).toBe("zone-2");
    expect(uniqueName(d, "zone-1")).toBe("zone-2");
    expect(uniqueName(d, "total")).toBe("total");
  });

  it("duplicates with an offset and a new name and id", () => {
    let n = 0;
    const { doc, ids } = duplicateZones(base, ["a"], () => `copy${n++}`);
    expect(ids).toEqual(["copy0"]);
    expect(doc.zones[2]).toMatchObject({ id: "copy0", name: "a-copy", folder: "f", x: 20, y: 20, width: 50 });
    const again = duplicateZones(doc, ["a"], () => "copy9").doc;
    expect(again.zones[3]?.name).toBe("a-copy-2");
  });

  it("lists folders in first-use order", () => {
    expect(foldersOf(base)).toEqual(["f", "g"]);
  });

  it("compares content without ids", () => {
    const renamed = createDoc(
      base.pages,
      base.zones.map((q) => ({ ...q, id: `${q.id}!` })),
    );
    expect(sameContent(base, renamed)).toBe(true);
    expect(sameContent(base, updateZone(base, "a", { folder: "other" }))).toBe(false);
  });
});
