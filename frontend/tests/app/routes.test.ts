import { describe, expect, it } from "vitest";
import { parseRoute, routes, setupToken } from "../../src/app/routes";

describe("routes", () => {
  it("parses every page", () => {
    expect(parseRoute("/")).toEqual({ page: "models" });
    expect(parseRoute("/models")).toEqual({ page: "models" });
    expect(parseRoute("/models/abc")).toEqual({ page: "editor", modelId: "abc" });
    expect(parseRoute("/extract?model=m1")).toEqual({ page: "extract", modelId: "m1" });
    expect(parseRoute("/extract")).toEqual({ page: "extract", modelId: null });
    expect(parseRoute("/folders")).toEqual({ page: "folders", folder: null });
    expect(parseRoute("/folders/invoices/totals")).toEqual({ page: "folders", folder: "invoices/totals" });
    expect(parseRoute("/setup")).toEqual({ page: "setup" });
    expect(parseRoute("/review")).toEqual({ page: "review", itemId: null });
    expect(parseRoute("/review?item=r1")).toEqual({ page: "review", itemId: "r1" });
    expect(parseRoute("/users")).toEqual({ page: "users" });
    expect(parseRoute("/api-keys")).toEqual({ page: "apiKeys" });
    expect(parseRoute("/audit")).toEqual({ page: "audit" });
    expect(parseRoute("/webhooks")).toEqual({ page: "webhooks" });
    expect(parseRoute("/users/someone")).toEqual({ page: "notFound" });
    expect(parseRoute("/nowhere")).toEqual({ page: "notFound" });
  });

  it("builds the addresses it parses", () => {
    expect(parseRoute(routes.setup())).toEqual({ page: "setup" });
    expect(parseRoute(routes.review("a b"))).toEqual({ page: "review", itemId: "a b" });
    expect(parseRoute(routes.users())).toEqual({ page: "users" });
    expect(parseRoute(routes.apiKeys())).toEqual({ page: "apiKeys" });
    expect(parseRoute(routes.audit())).toEqual({ page: "audit" });
    expect(parseRoute(routes.webhooks())).toEqual({ page: "webhooks" });
  });

  it("round-trips folder names with spaces and accents", () => {
    const folder = "scans 2024/Über";
    expect(parseRoute(routes.folders(folder))).toEqual({ page: "folders", folder });
    expect(parseRoute(routes.extract("a b"))).toEqual({ page: "extract", modelId: "a b" });
  });
});

describe("the setup link's token", () => {
  it("is read from the fragment", () => {
    expect(setupToken("#token=abc_DEF-123")).toBe("abc_DEF-123");
    expect(setupToken("token=abc")).toBe("abc");
    expect(setupToken("#other=1&token=xyz")).toBe("xyz");
  });

  it("is absent from an empty or tokenless fragment", () => {
    expect(setupToken("")).toBeNull();
    expect(setupToken("#")).toBeNull();
    expect(setupToken("#token=")).toBeNull();
    expect(setupToken("#tokens=abc")).toBeNull();
  });
});
