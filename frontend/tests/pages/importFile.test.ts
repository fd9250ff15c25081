import { describe, expect, it } from "vitest";
import { ApiError, explain } from "../../src/api/problem";
import type { ImportReport } from "../../src/api/types";
import { isZonecutExport, reportHasNews } from "../../src/pages/models/importFile";

const empty: ImportReport = {
  format: "coco",
  picture: "invoice.png",
  label_source: "category names",
  renamed: [],
  clipped: [],
  skipped: [],
  notes: [],
};

describe("the files an import takes", () => {
  it("tells a Zonecut export, which holds its picture, from other tools' files", () => {
    expect(isZonecutExport('{"zonecut_export": 1, "name": "Invoice"}')).toBe(true);
    expect(isZonecutExport('\uFEFF{"zonecut_export": 1}')).toBe(true);
    expect(isZonecutExport('{"images": [], "annotations": []}')).toBe(false);
    expect(isZonecutExport('[{"zonecut_export": 1}]')).toBe(false);
    expect(isZonecutExport("<annotations/>")).toBe(false);
    expect(isZonecutExport("")).toBe(false);
  });

  it("says whether a report has anything to look at", () => {
    expect(reportHasNews(empty)).toBe(false);
    expect(reportHasNews({ ...empty, skipped: [{ label: "stamp", reason: "a polygon" }] })).toBe(true);
    expect(reportHasNews({ ...empty, notes: ["scaled"] })).toBe(true);
  });

  it("explains the import problems in plain words, with the server's detail", () => {
    const problem = (slug: string, detail: string) =>
      new ApiError(422, { type: `https://zonecut.dev/problems/${slug}`, title: "t", status: 422, detail });
    expect(explain(problem("unknown-import-format", "The file is JSON of another shape"))).toBe(
      "Zonecut does not know this kind of file. The file is JSON of another shape.",
    );
    expect(explain(problem("ambiguous-import", "send it as 'a.png' or 'b.png'"))).toMatch(
      /^The file describes several pictures.*Send it as 'a\.png' or 'b\.png'\.$/,
    );
    expect(explain(problem("nothing-to-import", "every shape is a polygon"))).toMatch(/^Nothing in the file/);
  });
});
