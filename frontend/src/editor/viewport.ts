// The viewport: the only place where screen and image coordinates meet.
//
//   screen = image * zoom + offset          (CSS pixels of the canvas element)
//   device = screen * dpr                    (pixels of the canvas backing store)
//
// A viewport is a plain immutable value; every change returns a new one.

import { clamp, imagePoint, screenPoint, type ImagePoint, type Rect, type ScreenPoint, type Size } from "./geometry";

export const MIN_ZOOM = 0.1;
export const MAX_ZOOM = 8;
/** The steps the zoom buttons walk through. */
export const ZOOM_STEPS: readonly number[] = [0.1, 0.125, 0.167, 0.25, 0.333, 0.5, 0.667, 1, 1.5, 2, 3, 4, 6, 8];

export interface Viewport {
  /** Screen pixels per image pixel. */
  readonly zoom: number;
  /** Where the image's top-left corner is, in screen pixels. */
  readonly offsetX: number;
  readonly offsetY: number;
  /** The canvas element's size in CSS pixels. */
  readonly width: number;
  readonly height: number;
  /** window.devicePixelRatio when the canvas was sized. */
  readonly dpr: number;
}

export function createViewport(width: number, height: number, dpr = 1): Viewport {
  return { zoom: 1, offsetX: 0, offsetY: 0, width, height, dpr: dpr > 0 ? dpr : 1 };
}

export const clampZoom = (zoom: number): number => clamp(zoom, MIN_ZOOM, MAX_ZOOM);

export function screenToImage(vp: Viewport, p: ScreenPoint): ImagePoint {
  return imagePoint((p.x - vp.offsetX) / vp.zoom, (p.y - vp.offsetY) / vp.zoom);
}

export function imageToScreen(vp: Viewport, p: ImagePoint): ScreenPoint {
  return screenPoint(p.x * vp.zoom + vp.offsetX, p.y * vp.zoom + vp.offsetY);
}

/** A length on screen (CSS pixels) as image pixels, e.g. a hit tolerance. */
export const screenLengthToImage = (vp: Viewport, length: number): number => length / vp.zoom;

/** A point on screen from a pointer event's client coordinates and the canvas's
 *  bounding box (getBoundingClientRect), both in CSS pixels. */
export function clientToScreen(clientX: number, clientY: number, box: { left: number; top: number }): ScreenPoint {
  return screenPoint(clientX - box.left, clientY - box.top);
}

export function screenToDevice(vp: Viewport, p: ScreenPoint): { x: number; y: number } {
  return { x: p.x * vp.dpr, y: p.y * vp.dpr };
}

export function deviceToScreen(vp: Viewport, p: { x: number; y: number }): ScreenPoint {
  return screenPoint(p.x / vp.dpr, p.y / vp.dpr);
}

/** An image rectangle on screen (fractional CSS pixels). */
export function imageRectToScreen(vp: Viewport, r: Rect): Rect {
  return {
    x: r.x * vp.zoom + vp.offsetX,
    y: r.y * vp.zoom + vp.offsetY,
    width: r.width * vp.zoom,
    height: r.height * vp.zoom,
  };
}

/** The canvas backing-store size for the viewport, in device pixels. */
export function backingSize(vp: Viewport): Size {
  return { width: Math.max(1, Math.round(vp.width * vp.dpr)), height: Math.max(1, Math.round(vp.height * vp.dpr)) };
}

/** The transform (for CanvasRenderingContext2D.setTransform) that draws image pixels
 *  onto the device-pixel backing store. */
export function imageToDeviceTransform(vp: Viewport): [number, number, number, number, number, number] {
  const s = vp.zoom * vp.dpr;
  return [s, 0, 0, s, vp.offsetX * vp.dpr, vp.offsetY * vp.dpr];
}

/** Sets the zoom, keeping the image point under `anchor` where it is on screen. */
export function zoomAt(vp: Viewport, zoom: number, anchor: ScreenPoint): Viewport {
  const z = clampZoom(zoom);
  if (z === vp.zoom) return vp;
  const under = screenToImage(vp, anchor);
  return { ...vp, zoom: z, offsetX: anchor.x - under.x * z, offsetY: anchor.y - under.y * z };
}

/** Multiplies the zoom by `factor` around `anchor` (wheel and pinch). */
export const zoomBy = (vp: Viewport, factor: number, anchor: ScreenPoint): Viewport =>
  zoomAt(vp, vp.zoom * factor, anchor);

/** The next zoom step above (direction 1) or below (-1) the current zoom. */
export function steppedZoom(zoom: number, direction: 1 | -1): number {
  const eps = 1e-6;
  if (direction > 0) return ZOOM_STEPS.find((s) => s > zoom + eps) ?? MAX_ZOOM;
  for (let i = ZOOM_STEPS.length - 1; i >= 0; i--) {
    const s = ZOOM_STEPS[i];
    if (s !== undefined && s < zoom - eps) return s;
  }
  return MIN_ZOOM;
}

export const center = (vp: Viewport): ScreenPoint => screenPoint(vp.width / 2, vp.height / 2);

export function panBy(vp: Viewport, dx: number, dy: number): Viewport {
  if (dx === 0 && dy === 0) return vp;
  return { ...vp, offsetX: vp.offsetX + dx, offsetY: vp.offsetY + dy };
}

/** The whole picture centred in the canvas with `padding` CSS pixels around it, never
 *  magnified beyond 100 %. */
export function fitImage(vp: Viewport, image: Size, padding = 24): Viewport {
  const availW = Math.max(1, vp.width - 2 * padding);
  const availH = Math.max(1, vp.height - 2 * padding);
  const zoom = clampZoom(Math.min(1, availW / image.width, availH / image.height));
  return {
    ...vp,
    zoom,
    offsetX: (vp.width - image.width * zoom) / 2,
    offsetY: (vp.height - image.height * zoom) / 2,
  };
}

/** A canvas exactly the size of the whole picture shown as large as fits in `room` (CSS
 *  pixels), at whatever zoom that takes: for a view that grows with its page instead of
 *  zooming and panning inside a fixed canvas. Null while there is no room. */
export function viewportFitting(image: Size, room: Size, dpr = 1): Viewport | null {
  const zoom = Math.min(room.width / image.width, room.height / image.height);
  if (!(zoom > 0) || !Number.isFinite(zoom)) return null;
  return {
    ...createViewport(Math.round(image.width * zoom), Math.round(image.height * zoom), dpr),
    zoom,
  };
}

/** The canvas was resized: keep the image point at the old centre at the new centre. */
export function resizeViewport(vp: Viewport, width: number, height: number, dpr: number): Viewport {
  if (vp.width === width && vp.height === height && vp.dpr === dpr) return vp;
  const dx = (width - vp.width) / 2;
  const dy = (height - vp.height) / 2;
  return { ...vp, width, height, dpr: dpr > 0 ? dpr : 1, offsetX: vp.offsetX + dx, offsetY: vp.offsetY + dy };
}

/** The part of the image (in image pixels, possibly beyond its edges) that is visible. */
export function visibleImageRect(vp: Viewport): Rect {
  const tl = screenToImage(vp, screenPoint(0, 0));
  return { x: tl.x, y: tl.y, width: vp.width / vp.zoom, height: vp.height / vp.zoom };
}
