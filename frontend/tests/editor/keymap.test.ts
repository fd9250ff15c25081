import { describe, expect, it } from "vitest";
import { arrowStep, commandForKey, type KeyInput } from "../../src/editor/keymap";

const key = (k: string, mods: Partial<KeyInput> = {}): KeyInput => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});

describe("commandForKey", () => {
  it("maps Ctrl and Cmd alike", () => {
    for (const mod of [{ ctrlKey: true }, { metaKey: true }]) {
      expect(commandForKey(key("z", mod))).toEqual({ kind: "undo" });
      expect(commandForKey(key("Z", { ...mod, shiftKey: true }))).toEqual({ kind: "redo" });
      expect(commandForKey(key("s", mod))).toEqual({ kind: "save" });
      expect(commandForKey(key("d", mod))).toEqual({ kind: "duplicate" });
    }
    expect(commandForKey(key("y", { ctrlKey: true }))).toEqual({ kind: "redo" });
  });

  it("nudges with the arrows, further with Shift", () => {
    expect(commandForKey(key("ArrowLeft"))).toEqual({ kind: "nudge", dx: -1, dy: 0 });
    expect(commandForKey(key("ArrowDown", { shiftKey: true }))).toEqual({ kind: "nudge", dx: 0, dy: 10 });
  });

  it("leaves an arrow with Ctrl, Cmd or Alt to the browser", () => {
    expect(commandForKey(key("ArrowLeft", { ctrlKey: true }))).toBeNull();
    expect(commandForKey(key("ArrowLeft", { altKey: true }))).toBeNull();
  });

  it("deletes with Delete and Backspace", () => {
    expect(commandForKey(key("Delete"))).toEqual({ kind: "delete" });
    expect(commandForKey(key("Backspace"))).toEqual({ kind: "delete" });
  });

  it("turns pages with PageUp and PageDown, or [ and ]", () => {
    expect(commandForKey(key("PageUp"))).toEqual({ kind: "page", delta: -1 });
    expect(commandForKey(key("PageDown"))).toEqual({ kind: "page", delta: 1 });
    expect(commandForKey(key("["))).toEqual({ kind: "page", delta: -1 });
    expect(commandForKey(key("]"))).toEqual({ kind: "page", delta: 1 });
    expect(commandForKey(key("PageDown", { ctrlKey: true }))).toBeNull(); // the browser's tab switch
  });

  it("leaves other keys alone", () => {
    expect(commandForKey(key("q"))).toBeNull();
    expect(commandForKey(key("c", { ctrlKey: true }))).toBeNull();
    expect(commandForKey(key("z", { ctrlKey: true, altKey: true }))).toBeNull();
  });
});

describe("arrowStep", () => {
  it("gives each arrow's step, ten times larger with Shift", () => {
    expect(arrowStep({ key: "ArrowLeft", shiftKey: false })).toEqual({ dx: -1, dy: 0 });
    expect(arrowStep({ key: "ArrowRight", shiftKey: false })).toEqual({ dx: 1, dy: 0 });
    expect(arrowStep({ key: "ArrowUp", shiftKey: true })).toEqual({ dx: 0, dy: -10 });
    expect(arrowStep({ key: "ArrowDown", shiftKey: true })).toEqual({ dx: 0, dy: 10 });
  });

  it("is null for other keys", () => {
    expect(arrowStep({ key: "Enter", shiftKey: false })).toBeNull();
    expect(arrowStep({ key: "a", shiftKey: true })).toBeNull();
  });
});
