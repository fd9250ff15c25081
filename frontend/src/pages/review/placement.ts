// Where a review item's placement starts, its corners as the editor core takes them, and
// the item's reason in words.

import type { Review } from "../../api/types";
import { imagePoint, type ImageQuad } from "../../editor/geometry";
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

/** The corners as the editor core takes them: image points of the item's picture. */
export function toImageQuad([a, b, c, d]: Quad): ImageQuad {
  return [imagePoint(...a), imagePoint(...b), imagePoint(...c), imagePoint(...d)];
}

/** The corners as the API and the homography take them. */
export function fromImageQuad([a, b, c, d]: ImageQuad): Quad {
  return [
    [a.x, a.y],
    [b.x, b.y],
    [c.x, c.y],
    [d.x, d.y],
  ];
}

/** "picture-does-not-match" as words. */
export function reasonText(reason: string): string {
  const words = reason.replace(/[-_]+/g, " ").trim();
  return words === "" ? "Refused" : words[0]?.toUpperCase() + words.slice(1);
}
