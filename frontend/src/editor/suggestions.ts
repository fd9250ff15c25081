// Zones suggested on a page (the printed boxes, cells and fields the server found) and
// the printed lines drawing snaps to, in image pixels. Pure functions: which
// suggestions the working zones already cover, which lie in a lasso, which is under a
// point, and the order Tab visits them in.

import { rectContains, type Rect } from "./geometry";

export type SuggestionKind = "box" | "cell" | "frame" | "checkbox" | "underline";

/** A suggested zone: the inside of a printed frame. */
export interface Suggestion extends Rect {
  readonly kind: SuggestionKind;
  /** How cleanly its printed sides were found, 0-1. */
  readonly score: number;
}

/** A printed stroke: its centre line and how thick it is. */
export interface PrintedLine {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  readonly thickness: number;
}

/** What the server found on one page. */
export interface PageHints {
  readonly suggestions: readonly Suggestion[];
  readonly lines: readonly PrintedLine[];
}

export const NO_HINTS: PageHints = { suggestions: [], lines: [] };

/** A suggestion overlapping a zone at least this much (IoU) is taken already. */
export const COVERED_IOU = 0.5;

export function iou(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** The suggestions no zone covers yet (IoU at least `threshold` with one of `zones`). */
export function uncovered(
  suggestions: readonly Suggestion[],
  zones: readonly Rect[],
  threshold = COVERED_IOU,
): Suggestion[] {
  return suggestions.filter((s) => !zones.some((z) => iou(s, z) >= threshold));
}

/** In reading order: rows from the top, each left to right. A suggestion joins the row
 *  above when its top is above the middle of that row's first one. */
export function readingOrder(suggestions: readonly Suggestion[]): Suggestion[] {
  const byTop = [...suggestions].sort((a, b) => a.y - b.y || a.x - b.x);
  const rows: Suggestion[][] = [];
  for (const s of byTop) {
    const row = rows[rows.length - 1];
    const first = row?.[0];
    if (row !== undefined && first !== undefined && s.y < first.y + first.height / 2) row.push(s);
    else rows.push([s]);
  }
  return rows.flatMap((row) => row.sort((a, b) => a.x - b.x));
}

/** The suggestions wholly inside `area` (a lasso). */
export function inside(suggestions: readonly Suggestion[], area: Rect): Suggestion[] {
  return suggestions.filter(
    (s) =>
      s.x >= area.x && s.y >= area.y && s.x + s.width <= area.x + area.width && s.y + s.height <= area.y + area.height,
  );
}

/** The suggestion under an image point: the smallest holding it (a cell, not its table). */
export function suggestionAt(suggestions: readonly Suggestion[], p: { x: number; y: number }): Suggestion | null {
  let best: Suggestion | null = null;
  for (const s of suggestions) {
    if (rectContains(s, p) && (best === null || s.width * s.height < best.width * best.height)) best = s;
  }
  return best;
}
