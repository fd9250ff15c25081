// Dragging the corners of a quad placed on the picture (the review page's four page
// corners). Not a zone tool: it acts on the quad it is handed and returns the next
// one. A small state machine, idle -> dragging: a press on a corner's round handle
// takes that corner, which then follows the pointer, kept on the picture, until the
// release. Pointer positions come in screen pixels; the viewport turns them into
// image pixels.

import { imagePoint, moveQuadCorner, type ImageQuad, type ScreenPoint, type Size } from "../geometry";
import { hitQuadCorner } from "../hitTest";
import { screenLengthToImage, screenToImage, type Viewport } from "../viewport";

export class CornerDragTool {
  private dragged: number | null = null;

  /** `handleRadius`: the radius of a corner's round handle, CSS pixels. */
  constructor(private readonly handleRadius: number) {}

  get state(): "idle" | "dragging" {
    return this.dragged === null ? "idle" : "dragging";
  }

  /** The corner being dragged, or null. */
  get corner(): number | null {
    return this.dragged;
  }

  /** A press at `p`: the corner it takes, or null when it is on no handle (or a drag is
   *  already under way). */
  pointerDown(vp: Viewport, quad: ImageQuad, p: ScreenPoint): number | null {
    if (this.dragged !== null) return null;
    this.dragged = hitQuadCorner(vp, quad, p, this.handleRadius);
    return this.dragged;
  }

  /** The quad with the dragged corner under the pointer; null when nothing is dragged. */
  pointerMove(vp: Viewport, quad: ImageQuad, p: ScreenPoint, bounds: Size): ImageQuad | null {
    if (this.dragged === null) return null;
    return moveQuadCorner(quad, this.dragged, screenToImage(vp, p), bounds);
  }

  /** The release: the corner's last move, then idle. */
  pointerUp(vp: Viewport, quad: ImageQuad, p: ScreenPoint, bounds: Size): ImageQuad | null {
    const moved = this.pointerMove(vp, quad, p, bounds);
    this.dragged = null;
    return moved;
  }

  /** A lost pointer: the corner stays where it was last moved. True if there was a drag. */
  cancel(): boolean {
    const was = this.dragged !== null;
    this.dragged = null;
    return was;
  }
}

/** `quad` with corner `index` moved by (dx, dy) screen pixels, kept on the picture: an
 *  arrow key moves a corner the same distance on screen at every zoom. */
export function nudgeCorner(
  vp: Viewport,
  quad: ImageQuad,
  index: number,
  dx: number,
  dy: number,
  bounds: Size,
): ImageQuad {
  const from = quad[index];
  if (from === undefined) return quad;
  const to = imagePoint(from.x + screenLengthToImage(vp, dx), from.y + screenLengthToImage(vp, dy));
  return moveQuadCorner(quad, index, to, bounds);
}
