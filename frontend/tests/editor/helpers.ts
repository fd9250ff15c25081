import { ZoneEditor } from "../../src/editor/editor";
import type { Zone } from "../../src/editor/document";
import { screenPoint, type ScreenPoint } from "../../src/editor/geometry";
import { createViewport } from "../../src/editor/viewport";

export const PICTURE = { width: 2000, height: 1000 };

export const zone = (id: string, x: number, y: number, width = 200, height = 100, folder = "f", page = 1): Zone => ({
  id,
  name: id,
  folder,
  page,
  x,
  y,
  width,
  height,
});

/** An editor whose picture sits at (offset, offset) on screen at `zoom`. */
export function makeEditor(zones: Zone[] = [], zoom = 0.5, offset = 50, dpr = 1): ZoneEditor {
  const editor = new ZoneEditor(PICTURE, zones);
  editor.resize(1200, 800, dpr);
  editor.setViewport({ ...createViewport(1200, 800, dpr), zoom, offsetX: offset, offsetY: offset });
  return editor;
}

/** Screen point of an image point for an editor made by makeEditor. */
export function onScreen(editor: ZoneEditor, x: number, y: number): ScreenPoint {
  const v = editor.viewport;
  return screenPoint(x * v.zoom + v.offsetX, y * v.zoom + v.offsetY);
}

const input = (point: ScreenPoint, shiftKey = false) => ({ point, shiftKey, altKey: false });

/** Press, move in `steps` steps, release: what a mouse drag delivers. */
export function drag(
  editor: ZoneEditor,
  from: ScreenPoint,
  to: ScreenPoint,
  opts: { steps?: number; shiftKey?: boolean; pan?: boolean; release?: boolean } = {},
): void {
  const steps = opts.steps ?? 5;
  editor.pointerDown({ ...input(from, opts.shiftKey), pan: opts.pan ?? false });
  for (let i = 1; i <= steps; i++) {
    const t = i / steps;
    editor.pointerMove(input(screenPoint(from.x + (to.x - from.x) * t, from.y + (to.y - from.y) * t), opts.shiftKey));
  }
  if (opts.release !== false) editor.pointerUp(input(to, opts.shiftKey));
}

export function click(editor: ZoneEditor, at: ScreenPoint, shiftKey = false): void {
  editor.pointerDown({ ...input(at, shiftKey), pan: false });
  editor.pointerUp(input(at, shiftKey));
}
