// What is under a point: a handle of the selected zone, a zone, or empty picture; or
// one of the corners of a quad placed on the picture.
// Tolerances are given in screen pixels so handles feel the same at every zoom.

import type { PageView } from "./document";
import {
  distance,
  HANDLES,
  handlePosition,
  rectContains,
  type Handle,
  type ImageQuad,
  type Rect,
  type ScreenPoint,
} from "./geometry";
import { imageRectToScreen, imageToScreen, type Viewport } from "./viewport";

/** Half the side of a drawn handle, CSS pixels. */
export const HANDLE_RADIUS = 4;
/** How far from a handle's centre a press still takes it, CSS pixels. */
export const HANDLE_HIT_RADIUS = 7;
/** Below this on-screen side, a zone shows corner handles only. */
export const SIDE_HANDLES_MIN_SIDE = 24;

export type Hit =
  | { readonly kind: "handle"; readonly zoneId: string; readonly handle: Handle }
  | { readonly kind: "zone"; readonly zoneId: string }
  | { readonly kind: "empty"; readonly onImage: boolean };

/** The handles shown for a zone at the current zoom: all eight, or only the corners
 *  when the zone is too small on screen for side handles to be told apart. */
export function visibleHandles(screenRect: Rect): readonly Handle[] {
  const small = screenRect.width < SIDE_HANDLES_MIN_SIDE || screenRect.height < SIDE_HANDLES_MIN_SIDE;
  return small ? HANDLES.filter((h) => h.length === 2) : HANDLES;
}

export function hitHandle(vp: Viewport, rect: Rect, p: ScreenPoint, radius = HANDLE_HIT_RADIUS): Handle | null {
  const screenRect = imageRectToScreen(vp, rect);
  let best: Handle | null = null;
  let bestDistance = Infinity;
  for (const handle of visibleHandles(screenRect)) {
    const c = handlePosition(screenRect, handle);
    const d = Math.max(Math.abs(c.x - p.x), Math.abs(c.y - p.y));
    if (d <= radius && d < bestDistance) {
      best = handle;
      bestDistance = d;
    }
  }
  return best;
}

/** The corner of `quad` whose round handle of `radius` CSS pixels is under `p`: the
 *  nearest where handles overlap, or null. */
export function hitQuadCorner(vp: Viewport, quad: ImageQuad, p: ScreenPoint, radius: number): number | null {
  let best: number | null = null;
  let bestDistance = Infinity;
  for (const [i, corner] of quad.entries()) {
    const d = distance(imageToScreen(vp, corner), p);
    if (d <= radius && d < bestDistance) {
      best = i;
      bestDistance = d;
    }
  }
  return best;
}

/** Handles are taken only on a single selected zone; then zones from the top down. Only
 *  the page shown is hit: zones on other pages are not there. */
export function hitTest(view: PageView, selection: readonly string[], vp: Viewport, p: ScreenPoint): Hit {
  if (selection.length === 1) {
    const selected = view.zones.find((z) => z.id === selection[0]);
    if (selected !== undefined) {
      const handle = hitHandle(vp, selected, p);
      if (handle !== null) return { kind: "handle", zoneId: selected.id, handle };
    }
  }
  for (let i = view.zones.length - 1; i >= 0; i--) {
    const z = view.zones[i];
    if (z !== undefined && rectContains(imageRectToScreen(vp, z), p)) return { kind: "zone", zoneId: z.id };
  }
  const picture = imageRectToScreen(vp, { x: 0, y: 0, ...view.image });
  return { kind: "empty", onImage: rectContains(picture, p) };
}
