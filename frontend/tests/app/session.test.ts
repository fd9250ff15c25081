import { describe, expect, it } from "vitest";
import type { Me } from "../../src/api/types";
import { hasRole, nextSession, owner, type SessionState } from "../../src/app/session";

const ada: Me = { kind: "user", name: "ada", role: "admin", models: null };
const otto: Me = { kind: "user", name: "otto", role: "operator", models: null };
const signedIn: SessionState = { status: "signedIn", me: ada };

describe("the session", () => {
  it("is signed in when the server knows us, signed out when it says 401 at start", () => {
    const loading: SessionState = { status: "loading" };
    expect(nextSession(loading, { kind: "found", me: ada })).toEqual(signedIn);
    expect(nextSession(loading, { kind: "absent" })).toEqual({ status: "signedOut", ended: null });
    expect(nextSession(loading, { kind: "failed", error: "down" })).toEqual({ status: "failed", error: "down" });
  });

  it("ends on a 401 while signed in, remembering who it was", () => {
    expect(nextSession(signedIn, { kind: "unauthorized" })).toEqual({ status: "signedOut", ended: ada });
  });

  it("ignores a 401 while signed out (a wrong password) or still loading", () => {
    const out: SessionState = { status: "signedOut", ended: null };
    expect(nextSession(out, { kind: "unauthorized" })).toBe(out);
    const loading: SessionState = { status: "loading" };
    expect(nextSession(loading, { kind: "unauthorized" })).toBe(loading);
  });

  it("forgets who it was on signing out, and a late failure changes nothing", () => {
    expect(nextSession(signedIn, { kind: "absent" })).toEqual({ status: "signedOut", ended: null });
    expect(nextSession(signedIn, { kind: "failed", error: "late" })).toBe(signedIn);
  });

  it("keeps the pages for the person whose session ended, and for nobody else", () => {
    expect(owner(signedIn)).toBe(ada);
    expect(owner({ status: "signedOut", ended: ada })).toBe(ada);
    expect(owner({ status: "signedOut", ended: null })).toBeNull();
    expect(owner({ status: "loading" })).toBeNull();
  });
});

describe("roles", () => {
  it("nest: admin ⊃ editor ⊃ operator", () => {
    expect(hasRole(ada, "operator")).toBe(true);
    expect(hasRole(ada, "admin")).toBe(true);
    expect(hasRole(otto, "operator")).toBe(true);
    expect(hasRole(otto, "editor")).toBe(false);
    expect(hasRole({ ...otto, role: "editor" }, "editor")).toBe(true);
    expect(hasRole({ ...otto, role: "editor" }, "admin")).toBe(false);
    expect(hasRole(null, "operator")).toBe(false);
  });
});
