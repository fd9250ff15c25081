// Where a review item's placement starts, and its reason in words.

import type { Review } from "../../api/types";
import { applyHomography, asMatrix3, isConvexClockwise, rectCorners, type Quad } from "../../lib/homography";

/** Where the placement starts: the item's best guess if it is usable, else the full frame. */
export function initialCorners(item: Review, reference: { width: number; height: number }): Quad {
  const full = rectCorners(0, 0, item.source.width, item.source.height);
  const guess = asMatrix3(item.guess);
  if (guess === null) return full;
  const placed = rectCorners(0, 0, reference.width, reference.height).map((p) => applyHomography(guess, p));
  if (placed.some(([x, y]) => !Number.isFinite(x) || !Number.isFinite(y))) return full;
  const quad = placed as unknown as Quad;
  return isConvexClockwise(quad) ? quad : full;
}

/** "picture-does-not-match" as words. */
export function reasonText(reason: string): string {
  const words = reason.replace(/[-_]+/g, " ").trim();
  return words === "" ? "Refused" : words[0]?.toUpperCase() + words.slice(1);
}
