import { describe, expect, it } from "vitest";
import { folderColor, PALETTE } from "../../src/editor/colors";
import { createDoc, pageView } from "../../src/editor/document";
import { Picture } from "../../src/editor/picture";
import { FrameScheduler, Renderer, type Ctx2D, type Layer, type Scene } from "../../src/editor/renderer";
import { createViewport, type Viewport } from "../../src/editor/viewport";
import { zone } from "./helpers";

type Call = { name: string; args: unknown[] };

/** A 2D context that records what is drawn. */
function recordingLayer(): Layer & { calls: Call[]; ctx: Ctx2D } {
  const calls: Call[] = [];
  const target: Record<string, unknown> = {};
  const ctx = new Proxy(target, {
    get(t, prop: string) {
      if (prop in t) return t[prop];
      if (prop === "measureText") return (s: string) => ({ width: s.length * 7 });
      return (...args: unknown[]) => {
        calls.push({ name: prop, args });
      };
    },
    set(t, prop: string, value: unknown) {
      t[prop] = value;
      calls.push({ name: `set ${prop}`, args: [value] });
      return true;
    },
  }) as unknown as Ctx2D;
  return { width: 0, height: 0, calls, ctx, getContext: () => ctx };
}

const fakeBitmap = (width: number, height: number): ImageBitmap =>
  ({ width, height, close: () => undefined }) as ImageBitmap;

function scene(vp: Viewport, selection: string[] = []): Scene {
  const doc = createDoc({ width: 400, height: 300 }, [
    zone("sig", 10, 10, 100, 50, "signatures"),
    zone("tot", 200, 150, 100, 50, "totals"),
  ]);
  return { page: pageView(doc, 1), selection, hoverId: null, viewport: vp, folders: ["signatures", "totals"] };
}

describe("Renderer", () => {
  it("sizes both layers by the device pixel ratio", () => {
    const pic = recordingLayer();
    const over = recordingLayer();
    new Renderer(pic, over).render(scene(createViewport(300, 200, 2)), null);
    expect([pic.width, pic.height, over.width, over.height]).toEqual([600, 400, 600, 400]);
  });

  it("repaints the picture only when the view changes, the overlay every time", () => {
    const pic = recordingLayer();
    const over = recordingLayer();
    const r = new Renderer(pic, over);
    const picture = Picture.fromBitmaps({ width: 400, height: 300 }, fakeBitmap(400, 300));
    const vp = createViewport(800, 600, 1);
    r.render(scene(vp), picture);
    const drawn = () => pic.calls.filter((c) => c.name === "drawImage").length;
    expect(drawn()).toBe(1);
    r.render(scene(vp, ["sig"]), picture); // a selection change: overlay only
    expect(drawn()).toBe(1);
    expect(over.calls.filter((c) => c.name === "clearRect")).toHaveLength(2);
    r.render(scene({ ...vp, offsetX: 10 }), picture); // a pan: both
    expect(drawn()).toBe(2);
    expect(r.frameDurations()).toHaveLength(3);
  });

  it("draws only the visible part of the picture", () => {
    const pic = recordingLayer();
    const r = new Renderer(pic, recordingLayer());
    const picture = Picture.fromBitmaps({ width: 400, height: 300 }, fakeBitmap(400, 300));
    // At 200 % with the picture's left half off screen to the left.
    r.render(scene({ ...createViewport(200, 200, 1), zoom: 2, offsetX: -400, offsetY: 0 }), picture);
    const call = pic.calls.find((c) => c.name === "drawImage");
    expect(call?.args.slice(1)).toEqual([200, 0, 100, 100, 200, 0, 100, 100]);
  });

  it("draws a label and the eight handles of a single selected zone", () => {
    const over = recordingLayer();
    new Renderer(recordingLayer(), over).render(scene(createViewport(800, 600, 1), ["sig"]), null);
    const texts = over.calls.filter((c) => c.name === "fillText").map((c) => c.args[0]);
    expect(texts).toEqual(["sig  →  signatures", "tot  →  totals"]);
    // Two zone outlines, the picture outline, and eight handle outlines.
    expect(over.calls.filter((c) => c.name === "strokeRect")).toHaveLength(1 + 2 + 8);
  });

  it("colours zones by folder", () => {
    const over = recordingLayer();
    new Renderer(recordingLayer(), over).render(scene(createViewport(800, 600, 1)), null);
    const strokes = over.calls.filter((c) => c.name === "set strokeStyle").map((c) => c.args[0]);
    expect(strokes).toContain(PALETTE[0]);
    expect(strokes).toContain(PALETTE[1]);
  });

  it("draws suggestions dashed under the zones, and guides and a lasso over them", () => {
    const over = recordingLayer();
    const ghost = { x: 20, y: 100, width: 80, height: 30, kind: "box" as const, score: 1 };
    const guide = { x1: 0, y1: 99, x2: 400, y2: 99, thickness: 2 };
    const lasso = { x: 5, y: 5, width: 50, height: 50 };
    const base = scene(createViewport(800, 600, 1));
    new Renderer(recordingLayer(), over).render({ ...base, ghosts: [ghost], guides: [guide], lasso }, null);
    const names = over.calls.map((c) => c.name);
    const dashes = over.calls.filter((c) => c.name === "setLineDash").map((c) => c.args[0]);
    expect(dashes).toContainEqual([6, 4]); // the ghost
    expect(dashes).toContainEqual([5, 4]); // the lasso
    const ghostStroke = over.calls.findIndex((c) => c.name === "strokeRect" && c.args[2] === 80);
    const zoneFill = over.calls.findIndex((c) => c.name === "fillRect" && c.args[2] === 100);
    expect(ghostStroke).toBeGreaterThan(-1);
    expect(ghostStroke).toBeLessThan(zoneFill);
    // The guide runs a little past the printed line's ends.
    expect(over.calls.filter((c) => c.name === "moveTo")).toEqual([{ name: "moveTo", args: [-12, 99] }]);
    expect(over.calls.filter((c) => c.name === "lineTo")).toEqual([{ name: "lineTo", args: [412, 99] }]);
    expect(names.lastIndexOf("lineTo")).toBeGreaterThan(zoneFill);
  });
});

describe("folderColor", () => {
  it("gives a model's folders different colours, and the same colour every time", () => {
    const folders = ["a", "b", "c"];
    const colors = folders.map((f) => folderColor(f, folders));
    expect(new Set(colors).size).toBe(3);
    expect(folderColor("elsewhere")).toBe(folderColor("elsewhere"));
  });
});

describe("Picture levels", () => {
  it("picks the smallest bitmap that is still sharp enough", () => {
    const p = Picture.fromBitmaps(
      { width: 4000, height: 3000 },
      fakeBitmap(4000, 3000),
      fakeBitmap(2000, 1500),
      fakeBitmap(1000, 750),
    );
    expect(p.levelFor(2).scale).toBe(1);
    expect(p.levelFor(0.6).scale).toBe(1);
    expect(p.levelFor(0.5).scale).toBe(0.5);
    expect(p.levelFor(0.3).scale).toBe(0.5);
    expect(p.levelFor(0.1).scale).toBe(0.25);
  });
});

describe("FrameScheduler", () => {
  it("draws at most once per animation frame however often asked", () => {
    const frames: (() => void)[] = [];
    let draws = 0;
    const s = new FrameScheduler(
      () => draws++,
      (cb) => frames.push(cb),
      () => undefined,
    );
    s.request();
    s.request();
    s.request();
    expect(frames).toHaveLength(1);
    frames.shift()?.();
    expect(draws).toBe(1);
    s.request();
    expect(frames).toHaveLength(1);
    expect(s.scheduled).toBe(true);
  });

  it("can be cancelled", () => {
    const cancelled: number[] = [];
    const s = new FrameScheduler(
      () => undefined,
      () => 7,
      (id) => cancelled.push(id),
    );
    s.request();
    s.cancel();
    expect(cancelled).toEqual([7]);
    expect(s.scheduled).toBe(false);
  });
});
