import { describe, expect, it } from "vitest";
import { History } from "../../src/editor/history";

describe("History", () => {
  it("undoes and redoes in order", () => {
    const h = new History("a");
    h.push("b");
    h.push("c");
    expect(h.undo()).toBe("b");
    expect(h.undo()).toBe("a");
    expect(h.undo()).toBeUndefined();
    expect(h.present).toBe("a");
    expect(h.redo()).toBe("b");
    expect(h.redo()).toBe("c");
    expect(h.redo()).toBeUndefined();
  });

  it("keeps at least 100 steps", () => {
    const h = new History(0);
    for (let i = 1; i <= 150; i++) h.push(i);
    let undone = 0;
    while (h.undo() !== undefined) undone++;
    expect(undone).toBe(150);
    expect(h.present).toBe(0);
    for (let i = 0; i < 150; i++) h.redo();
    expect(h.present).toBe(150);
  });

  it("forgets the oldest steps beyond its limit", () => {
    const h = new History(0, 100);
    for (let i = 1; i <= 130; i++) h.push(i);
    expect(h.undoDepth).toBe(100);
    while (h.undo() !== undefined);
    expect(h.present).toBe(30);
  });

  it("drops the redo steps when something new is done", () => {
    const h = new History("a");
    h.push("b");
    h.undo();
    h.push("c");
    expect(h.canRedo).toBe(false);
    expect(h.undo()).toBe("a");
  });

  it("ignores a push of the present state", () => {
    const h = new History("a");
    h.push("a");
    expect(h.canUndo).toBe(false);
  });

  it("merges steps with the same key made close together", () => {
    let t = 0;
    const h = new History("", 100, 1000, () => t);
    h.push("h", "name");
    t += 100;
    h.push("he", "name");
    t += 100;
    h.push("hel", "name");
    expect(h.undoDepth).toBe(1);
    t += 5000; // a pause ends the run
    h.push("hell", "name");
    expect(h.undoDepth).toBe(2);
    h.push("hello", "folder");
    expect(h.undoDepth).toBe(3);
    h.seal();
    h.push("hello!", "folder");
    expect(h.undoDepth).toBe(4);
    h.undo();
    expect(h.present).toBe("hello");
  });

  it("tracks unsaved changes, including undo back to the saved state", () => {
    const h = new History("a");
    expect(h.dirty).toBe(false);
    h.push("b");
    expect(h.dirty).toBe(true);
    h.undo();
    expect(h.dirty).toBe(false);
    h.redo();
    h.markSaved();
    expect(h.dirty).toBe(false);
    h.undo();
    expect(h.dirty).toBe(true);
    h.reset("z");
    expect(h.dirty).toBe(false);
    expect(h.canUndo).toBe(false);
  });
});
