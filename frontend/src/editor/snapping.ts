// Snapping: an edge being drawn or dragged near a printed line lands on the side of
// that stroke that faces the zone, so the zone holds the inside of a printed frame and
// none of its ink. Pure functions over image pixels; the tolerance comes in image pixels
// (the tool turns SNAP_DISTANCE screen pixels into them at the current zoom).

import { clamp, type Rect, type Size } from "./geometry";
import type { PrintedLine } from "./suggestions";

/** How near (CSS pixels on screen) an edge must come to a printed line to snap to it. */
export const SNAP_DISTANCE = 6;

export type Edge = "left" | "top" | "right" | "bottom";

export interface SnappedEdge {
  readonly value: number;
  readonly line: PrintedLine;
}

export interface Snapped {
  readonly rect: Rect;
  /** The printed lines the edges snapped to, for the guides. */
  readonly guides: readonly PrintedLine[];
}

const isHorizontal = (line: PrintedLine): boolean => Math.abs(line.x2 - line.x1) >= Math.abs(line.y2 - line.y1);

/** Where a line is across, at `along` (x for a horizontal line, y for a vertical one). */
function across(line: PrintedLine, along: number, horizontal: boolean): number {
  const [a1, a2, c1, c2] = horizontal ? [line.x1, line.x2, line.y1, line.y2] : [line.y1, line.y2, line.x1, line.x2];
  if (a2 === a1) return (c1 + c2) / 2;
  return c1 + ((c2 - c1) * (along - a1)) / (a2 - a1);
}

/** The printed line an edge at `value` snaps to, and where the edge lands: the line's
 *  side facing the zone (`left` and `top` edges have the zone after them). `span` is
 *  the edge's extent the other way; a line must reach into it. Null when no line is
 *  within `tolerance`. */
export function snapEdge(
  lines: readonly PrintedLine[],
  edge: Edge,
  value: number,
  span: readonly [number, number],
  tolerance: number,
): SnappedEdge | null {
  const horizontal = edge === "top" || edge === "bottom";
  const facing = edge === "left" || edge === "top" ? 1 : -1;
  const lo = Math.min(span[0], span[1]);
  const hi = Math.max(span[0], span[1]);
  let best: SnappedEdge | null = null;
  let bestDistance = tolerance;
  for (const line of lines) {
    if (isHorizontal(line) !== horizontal) continue;
    const start = horizontal ? Math.min(line.x1, line.x2) : Math.min(line.y1, line.y2);
    const end = horizontal ? Math.max(line.x1, line.x2) : Math.max(line.y1, line.y2);
    const from = Math.max(start, lo);
    const to = Math.min(end, hi);
    if (to < from) continue; // the line does not reach along the edge
    const target = Math.round(across(line, (from + to) / 2, horizontal) + (facing * line.thickness) / 2);
    const distance = Math.abs(target - value);
    if (distance <= bestDistance) {
      best = { value: target, line };
      bestDistance = distance;
    }
  }
  return best;
}

/** `rect` with the named `edges` snapped to printed lines within `tolerance`, kept on a
 *  picture of `bounds`. An axis whose snapped edges would cross keeps its own. */
export function snapRect(
  rect: Rect,
  edges: readonly Edge[],
  lines: readonly PrintedLine[],
  tolerance: number,
  bounds: Size,
): Snapped {
  if (lines.length === 0 || edges.length === 0) return { rect, guides: [] };
  let left = rect.x;
  let top = rect.y;
  let right = rect.x + rect.width;
  let bottom = rect.y + rect.height;
  const guides: PrintedLine[] = [];
  const snapAxis = (low: Edge, high: Edge, lowValue: number, highValue: number, span: [number, number]) => {
    const a = edges.includes(low) ? snapEdge(lines, low, lowValue, span, tolerance) : null;
    const b = edges.includes(high) ? snapEdge(lines, high, highValue, span, tolerance) : null;
    const lowNext = a?.value ?? lowValue;
    const highNext = b?.value ?? highValue;
    if (highNext - lowNext < 1) return [lowValue, highValue] as const;
    if (a !== null) guides.push(a.line);
    if (b !== null) guides.push(b.line);
    return [lowNext, highNext] as const;
  };
  [left, right] = snapAxis("left", "right", left, right, [top, bottom]);
  [top, bottom] = snapAxis("top", "bottom", top, bottom, [left, right]);
  left = clamp(left, 0, bounds.width - 1);
  top = clamp(top, 0, bounds.height - 1);
  right = clamp(right, left + 1, bounds.width);
  bottom = clamp(bottom, top + 1, bounds.height);
  return { rect: { x: left, y: top, width: right - left, height: bottom - top }, guides };
}
