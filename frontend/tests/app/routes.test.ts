import { describe, expect, it } from "vitest";
import { parseRoute, routes } from "../../src/app/routes";

describe("routes", () => {
  it("parses every page", () => {
    expect(parseRoute("/")).toEqual({ page: "models" });
    expect(parseRoute("/models")).toEqual({ page: "models" });
    expect(parseRoute("/models/abc")).toEqual({ page: "editor", modelId: "abc" });
    expect(parseRoute("/extract?model=m1")).toEqual({ page: "extract", modelId: "m1" });
    expect(parseRoute("/extract")).toEqual({ page: "extract", modelId: null });
    expect(parseRoute("/folders")).toEqual({ page: "folders", folder: null });
    expect(parseRoute("/folders/invoices/totals")).toEqual({ page: "folders", folder: "invoices/totals" });
    expect(parseRoute("/nowhere")).toEqual({ page: "notFound" });
  });

  it("round-trips folder names with spaces and accents", () => {
    const folder = "scans 2024/Über";
    expect(parseRoute(routes.folders(folder))).toEqual({ page: "folders", folder });
    expect(parseRoute(routes.extract("a b"))).toEqual({ page: "extract", modelId: "a b" });
  });
});
