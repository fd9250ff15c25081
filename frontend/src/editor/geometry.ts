// Points, rectangles and the pure arithmetic on them.
//
// Two kinds of point never mix: an ImagePoint is in pixels of the reference
// picture, a ScreenPoint in CSS pixels from the top-left corner of the canvas.
// Only viewport.ts turns one into the other.

declare const imageBrand: unique symbol;
declare const screenBrand: unique symbol;

export type ImagePoint = { readonly x: number; readonly y: number; readonly [imageBrand]: true };
export type ScreenPoint = { readonly x: number; readonly y: number; readonly [screenBrand]: true };

export const imagePoint = (x: number, y: number): ImagePoint => ({ x, y }) as ImagePoint;
export const screenPoint = (x: number, y: number): ScreenPoint => ({ x, y }) as ScreenPoint;

export interface Size {
  readonly width: number;
  readonly height: number;
}

/** An axis-aligned rectangle; in the document always whole image pixels. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Four corners in image pixels, clockwise from the top-left: a page placed on a picture. */
export type ImageQuad = readonly [ImagePoint, ImagePoint, ImagePoint, ImagePoint];

/** The eight resize handles, named by compass direction. */
export type Handle = "nw" | "n" | "ne" | "e" | "se" | "s" | "sw" | "w";
export const HANDLES: readonly Handle[] = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];

/** The smallest zone, in image pixels, on either side. */
export const MIN_ZONE_SIZE = 1;

export const clamp = (value: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, value));

export function distance(a: { x: number; y: number }, b: { x: number; y: number }): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

export function rectContains(rect: Rect, p: { x: number; y: number }): boolean {
  return p.x >= rect.x && p.x <= rect.x + rect.width && p.y >= rect.y && p.y <= rect.y + rect.height;
}

export function rectsEqual(a: Rect, b: Rect): boolean {
  return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;
}

/** The smallest rectangle holding all of `rects`, or null for none. */
export function boundingRect(rects: readonly Rect[]): Rect | null {
  if (rects.length === 0) return null;
  let left = Infinity;
  let top = Infinity;
  let right = -Infinity;
  let bottom = -Infinity;
  for (const r of rects) {
    left = Math.min(left, r.x);
    top = Math.min(top, r.y);
    right = Math.max(right, r.x + r.width);
    bottom = Math.max(bottom, r.y + r.height);
  }
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/** The rectangle spanned by two corners, in whatever order, rounded to whole pixels
 *  and clamped to `bounds`. May be empty (width or height 0). */
export function rectFromCorners(a: ImagePoint, b: ImagePoint, bounds: Size): Rect {
  const left = clamp(Math.round(Math.min(a.x, b.x)), 0, bounds.width);
  const right = clamp(Math.round(Math.max(a.x, b.x)), 0, bounds.width);
  const top = clamp(Math.round(Math.min(a.y, b.y)), 0, bounds.height);
  const bottom = clamp(Math.round(Math.max(a.y, b.y)), 0, bounds.height);
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/** Makes any rectangle a valid zone of a picture of `bounds`: whole pixels, at least
 *  MIN_ZONE_SIZE on each side, no larger than the picture, and inside it (shifted
 *  rather than shrunk where it pokes out). */
export function clampRect(rect: Rect, bounds: Size): Rect {
  const width = clamp(Math.round(rect.width), MIN_ZONE_SIZE, bounds.width);
  const height = clamp(Math.round(rect.height), MIN_ZONE_SIZE, bounds.height);
  const x = clamp(Math.round(rect.x), 0, bounds.width - width);
  const y = clamp(Math.round(rect.y), 0, bounds.height - height);
  return { x, y, width, height };
}

/** Moves a rectangle by (dx, dy) image pixels, stopping at the picture's edges. */
export function moveRect(rect: Rect, dx: number, dy: number, bounds: Size): Rect {
  return clampRect({ ...rect, x: rect.x + dx, y: rect.y + dy }, bounds);
}

/** The displacement that moves a group of rectangles by (dx, dy) as far as the
 *  picture allows, so the group keeps its shape at an edge. Whole pixels. */
export function clampGroupDelta(
  rects: readonly Rect[],
  dx: number,
  dy: number,
  bounds: Size,
): { dx: number; dy: number } {
  const box = boundingRect(rects);
  if (box === null) return { dx: 0, dy: 0 };
  const rdx = Math.round(dx);
  const rdy = Math.round(dy);
  return {
    dx: clamp(rdx, -box.x, bounds.width - (box.x + box.width)),
    dy: clamp(rdy, -box.y, bounds.height - (box.y + box.height)),
  };
}

/** One axis of a resize: `fixed` stays, `moving` follows the pointer. The moving edge
 *  may cross the fixed one (the rectangle flips); where they meet, it stays on its
 *  starting `side` (-1 below the fixed edge, 1 above). The result stays in [0, limit]
 *  and is at least `min` long. Returns [low, high]. */
function resolveAxis(fixed: number, moving: number, side: -1 | 1, limit: number, min: number): [number, number] {
  const m = clamp(Math.round(moving), 0, limit);
  if (m > fixed || (m === fixed && side > 0)) {
    const high = Math.max(m, fixed + min);
    return high > limit ? [fixed - min, fixed] : [fixed, high];
  }
  const low = Math.min(m, fixed - min);
  return low < 0 ? [fixed, fixed + min] : [low, fixed];
}

/** Resizes `start` by dragging `handle` (dx, dy) image pixels. Corner handles move two
 *  edges, side handles one; the opposite edges stay put. Clamped to `bounds`. */
export function resizeRect(start: Rect, handle: Handle, dx: number, dy: number, bounds: Size): Rect {
  const left = start.x;
  const top = start.y;
  const right = start.x + start.width;
  const bottom = start.y + start.height;
  let x0 = left;
  let x1 = right;
  let y0 = top;
  let y1 = bottom;
  if (handle.includes("w")) [x0, x1] = resolveAxis(right, left + dx, -1, bounds.width, MIN_ZONE_SIZE);
  if (handle.includes("e")) [x0, x1] = resolveAxis(left, right + dx, 1, bounds.width, MIN_ZONE_SIZE);
  if (handle.includes("n")) [y0, y1] = resolveAxis(bottom, top + dy, -1, bounds.height, MIN_ZONE_SIZE);
  if (handle.includes("s")) [y0, y1] = resolveAxis(top, bottom + dy, 1, bounds.height, MIN_ZONE_SIZE);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** `quad` with corner `index` at `to`, kept on a picture of `bounds` and rounded to a
 *  tenth of a pixel. */
export function moveQuadCorner(quad: ImageQuad, index: number, to: ImagePoint, bounds: Size): ImageQuad {
  const moved = imagePoint(
    Math.round(clamp(to.x, 0, bounds.width) * 10) / 10,
    Math.round(clamp(to.y, 0, bounds.height) * 10) / 10,
  );
  return quad.map((p, i) => (i === index ? moved : p)) as unknown as ImageQuad;
}

/** Where a handle sits on a rectangle. */
export function handlePosition(rect: Rect, handle: Handle): { x: number; y: number } {
  const cx = rect.x + rect.width / 2;
  const cy = rect.y + rect.height / 2;
  const x = handle.includes("w") ? rect.x : handle.includes("e") ? rect.x + rect.width : cx;
  const y = handle.includes("n") ? rect.y : handle.includes("s") ? rect.y + rect.height : cy;
  return { x, y };
}

/** The CSS cursor that tells what dragging a handle does. */
export function handleCursor(handle: Handle): string {
  switch (handle) {
    case "nw":
    case "se":
      return "nwse-resize";
    case "ne":
    case "sw":
      return "nesw-resize";
    case "n":
    case "s":
      return "ns-resize";
    case "e":
    case "w":
      return "ew-resize";
  }
}
