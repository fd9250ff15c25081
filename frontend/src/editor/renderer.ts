// Drawing. Two stacked canvases: the picture layer is redrawn only when the view or
// the picture changes; the overlay (zones, labels, handles) on every change. A drag of
// a zone therefore repaints only rectangles, whatever the size of the picture.

import { folderColor, withAlpha } from "./colors";
import type { PageView } from "./document";
import { handlePosition, type Rect } from "./geometry";
import { HANDLE_RADIUS, visibleHandles } from "./hitTest";
import type { Picture } from "./picture";
import type { PrintedLine, Suggestion } from "./suggestions";
import { backingSize, imageRectToScreen, imageToDeviceTransform, visibleImageRect, type Viewport } from "./viewport";

export interface Scene {
  /** The page shown: its size and only its zones. */
  readonly page: PageView;
  readonly selection: readonly string[];
  readonly hoverId: string | null;
  readonly viewport: Viewport;
  /** The model's folders in first-use order: their colours. */
  readonly folders: readonly string[];
  /** Suggestions shown as ghost outlines, under the zones. */
  readonly ghosts?: readonly Suggestion[];
  /** The ghost under the pointer. */
  readonly ghostHover?: Suggestion | null;
  /** Printed lines the edges being drawn snapped to. */
  readonly guides?: readonly PrintedLine[];
  /** A lasso being dragged, in image pixels. */
  readonly lasso?: Rect | null;
}

/** The part of CanvasRenderingContext2D the renderer uses (so tests can record calls). */
export type Ctx2D = Pick<
  CanvasRenderingContext2D,
  | "setTransform"
  | "clearRect"
  | "fillRect"
  | "strokeRect"
  | "drawImage"
  | "fillText"
  | "measureText"
  | "save"
  | "restore"
  | "beginPath"
  | "rect"
  | "clip"
  | "fill"
  | "stroke"
  | "setLineDash"
  | "moveTo"
  | "lineTo"
  | "fillStyle"
  | "strokeStyle"
  | "lineWidth"
  | "font"
  | "textBaseline"
  | "imageSmoothingEnabled"
  | "imageSmoothingQuality"
>;

export interface Layer {
  width: number;
  height: number;
  getContext(kind: "2d"): Ctx2D | null;
}

const GHOST = "#0b7285";
const GUIDE = "#d6336c";
const GUIDE_OVERHANG = 12; // CSS pixels
const LABEL_FONT = "600 12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const LABEL_HEIGHT = 18;
const LABEL_PAD = 6;

/** Sizes a layer's backing store to the viewport; true if it changed (and was cleared). */
export function sizeLayer(layer: Layer, vp: Viewport): boolean {
  const size = backingSize(vp);
  if (layer.width === size.width && layer.height === size.height) return false;
  layer.width = size.width;
  layer.height = size.height;
  return true;
}

export function drawPicture(ctx: Ctx2D, vp: Viewport, picture: Picture | null): void {
  const size = backingSize(vp);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, size.width, size.height);
  if (picture === null) return;
  const [a, b, c, d, e, f] = imageToDeviceTransform(vp);
  ctx.setTransform(a, b, c, d, e, f);
  const deviceScale = vp.zoom * vp.dpr;
  const level = picture.levelFor(deviceScale);
  // Magnified, show the pixels as they are; reduced, smooth.
  ctx.imageSmoothingEnabled = deviceScale < 2;
  ctx.imageSmoothingQuality = "low";
  // Only the visible part of the picture, in whole image pixels.
  const { width: iw, height: ih } = picture.size;
  const seen = visibleImageRect(vp);
  const x0 = Math.max(0, Math.floor(seen.x));
  const y0 = Math.max(0, Math.floor(seen.y));
  const x1 = Math.min(iw, Math.ceil(seen.x + seen.width));
  const y1 = Math.min(ih, Math.ceil(seen.y + seen.height));
  if (x1 <= x0 || y1 <= y0) return;
  const s = level.scale;
  ctx.drawImage(level.bitmap, x0 * s, y0 * s, (x1 - x0) * s, (y1 - y0) * s, x0, y0, x1 - x0, y1 - y0);
}

/** Snaps a CSS-pixel coordinate so a 1-device-pixel line lands on whole pixels. */
const crisp = (v: number, dpr: number): number => (Math.round(v * dpr) + 0.5) / dpr;

function intersects(r: Rect, vp: Viewport): boolean {
  return r.x + r.width >= -LABEL_HEIGHT && r.y + r.height >= -LABEL_HEIGHT && r.x <= vp.width && r.y <= vp.height;
}

export function drawOverlay(ctx: Ctx2D, scene: Scene): void {
  const vp = scene.viewport;
  const size = backingSize(vp);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, size.width, size.height);
  ctx.setTransform(vp.dpr, 0, 0, vp.dpr, 0, 0);

  // The picture's outline, so its edge is clear on any background.
  const pic = imageRectToScreen(vp, { x: 0, y: 0, ...scene.page.image });
  ctx.lineWidth = 1 / vp.dpr;
  ctx.strokeStyle = "rgba(15, 23, 42, 0.35)";
  ctx.strokeRect(
    crisp(pic.x, vp.dpr) - 1,
    crisp(pic.y, vp.dpr) - 1,
    Math.round(pic.width) + 1,
    Math.round(pic.height) + 1,
  );

  drawGhosts(ctx, vp, scene.ghosts ?? [], scene.ghostHover ?? null);

  const selected = new Set(scene.selection);
  const visible = scene.page.zones
    .map((zone) => ({ zone, r: imageRectToScreen(vp, zone) }))
    .filter(({ r }) => intersects(r, vp));

  for (const { zone, r } of visible) {
    const color = folderColor(zone.folder, scene.folders);
    const isSelected = selected.has(zone.id);
    const isHover = zone.id === scene.hoverId;
    ctx.fillStyle = withAlpha(color, isSelected ? 0.22 : isHover ? 0.18 : 0.12);
    ctx.fillRect(r.x, r.y, r.width, r.height);
    ctx.lineWidth = isSelected ? 2 : 1.5;
    ctx.strokeStyle = color;
    ctx.setLineDash([]);
    ctx.strokeRect(crisp(r.x, vp.dpr), crisp(r.y, vp.dpr), Math.round(r.width), Math.round(r.height));
  }

  ctx.font = LABEL_FONT;
  ctx.textBaseline = "middle";
  for (const { zone, r } of visible) drawLabel(ctx, zone.name, zone.folder, r, folderColor(zone.folder, scene.folders));

  if (scene.selection.length === 1) {
    const zone = visible.find(({ zone }) => zone.id === scene.selection[0]);
    if (zone !== undefined) drawHandles(ctx, zone.r, folderColor(zone.zone.folder, scene.folders));
  } else if (scene.selection.length > 1) {
    for (const { zone, r } of visible) {
      if (!selected.has(zone.id)) continue;
      ctx.setLineDash([4, 3]);
      ctx.lineWidth = 1;
      ctx.strokeStyle = "#0f172a";
      ctx.strokeRect(crisp(r.x, vp.dpr) - 2, crisp(r.y, vp.dpr) - 2, Math.round(r.width) + 4, Math.round(r.height) + 4);
      ctx.setLineDash([]);
    }
  }

  drawGuides(ctx, vp, scene.guides ?? []);
  if (scene.lasso) {
    const r = imageRectToScreen(vp, scene.lasso);
    ctx.setLineDash([5, 4]);
    ctx.lineWidth = 1;
    ctx.strokeStyle = "#0f172a";
    ctx.fillStyle = withAlpha(GHOST, 0.08);
    ctx.fillRect(r.x, r.y, r.width, r.height);
    ctx.strokeRect(crisp(r.x, vp.dpr), crisp(r.y, vp.dpr), Math.round(r.width), Math.round(r.height));
    ctx.setLineDash([]);
  }
}

/** Suggestions as dashed outlines, the one under the pointer filled. */
function drawGhosts(ctx: Ctx2D, vp: Viewport, ghosts: readonly Suggestion[], hover: Suggestion | null): void {
  if (ghosts.length === 0) return;
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = GHOST;
  for (const ghost of ghosts) {
    const r = imageRectToScreen(vp, ghost);
    if (!intersects(r, vp)) continue;
    const hovered = ghost === hover;
    ctx.fillStyle = withAlpha(GHOST, hovered ? 0.2 : 0.05);
    ctx.fillRect(r.x, r.y, r.width, r.height);
    ctx.setLineDash(hovered ? [] : [6, 4]);
    ctx.strokeRect(crisp(r.x, vp.dpr), crisp(r.y, vp.dpr), Math.round(r.width), Math.round(r.height));
  }
  ctx.setLineDash([]);
}

/** The printed lines an edge snapped to: thin lines over the print. */
function drawGuides(ctx: Ctx2D, vp: Viewport, guides: readonly PrintedLine[]): void {
  if (guides.length === 0) return;
  ctx.lineWidth = 1;
  ctx.strokeStyle = GUIDE;
  ctx.setLineDash([]);
  ctx.beginPath();
  for (const line of guides) {
    const x1 = line.x1 * vp.zoom + vp.offsetX;
    const y1 = line.y1 * vp.zoom + vp.offsetY;
    const x2 = line.x2 * vp.zoom + vp.offsetX;
    const y2 = line.y2 * vp.zoom + vp.offsetY;
    // A little past both ends, so the guide shows beside the zone's own outline.
    const length = Math.hypot(x2 - x1, y2 - y1) || 1;
    const ex = ((x2 - x1) / length) * GUIDE_OVERHANG;
    const ey = ((y2 - y1) / length) * GUIDE_OVERHANG;
    ctx.moveTo(x1 - ex, y1 - ey);
    ctx.lineTo(x2 + ex, y2 + ey);
  }
  ctx.stroke();
}

function drawLabel(ctx: Ctx2D, name: string, folder: string, r: Rect, color: string): void {
  const text = folder === "" || folder === name ? name : `${name}  →  ${folder}`;
  if (text === "") return;
  const width = Math.min(ctx.measureText(text).width + 2 * LABEL_PAD, Math.max(r.width, 40));
  // Above the zone when there is room, otherwise just inside its top edge.
  const y = r.y >= LABEL_HEIGHT + 2 ? r.y - LABEL_HEIGHT - 1 : r.y + 1;
  ctx.fillStyle = color;
  ctx.fillRect(r.x, y, width, LABEL_HEIGHT);
  ctx.fillStyle = "#ffffff";
  ctx.save();
  ctx.beginPath();
  ctx.rect(r.x, y, width - LABEL_PAD / 2, LABEL_HEIGHT);
  // Clip long labels to the zone's width instead of spilling over neighbours.
  ctx.clip();
  ctx.fillText(text, r.x + LABEL_PAD, y + LABEL_HEIGHT / 2 + 0.5);
  ctx.restore();
}

function drawHandles(ctx: Ctx2D, r: Rect, color: string): void {
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = color;
  ctx.fillStyle = "#ffffff";
  for (const handle of visibleHandles(r)) {
    const c = handlePosition(r, handle);
    const s = HANDLE_RADIUS * 2;
    ctx.fillRect(c.x - HANDLE_RADIUS, c.y - HANDLE_RADIUS, s, s);
    ctx.strokeRect(c.x - HANDLE_RADIUS, c.y - HANDLE_RADIUS, s, s);
  }
}

/** Renders scenes onto the two layers, repainting the picture only when needed, and
 *  keeps the last frame durations for measurement. */
export class Renderer {
  private pictureKey = "";
  private durations: number[] = [];
  private static readonly KEEP = 1000;

  constructor(
    private readonly pictureLayer: Layer,
    private readonly overlayLayer: Layer,
    private readonly now: () => number = () => performance.now(),
  ) {}

  render(scene: Scene, picture: Picture | null): void {
    const t0 = this.now();
    const vp = scene.viewport;
    const resized = sizeLayer(this.pictureLayer, vp);
    sizeLayer(this.overlayLayer, vp);
    const key = `${vp.zoom}|${vp.offsetX}|${vp.offsetY}|${vp.width}|${vp.height}|${vp.dpr}|${picture?.levelCount ?? -1}`;
    if (resized || key !== this.pictureKey || picture === null) {
      const ctx = this.pictureLayer.getContext("2d");
      if (ctx !== null) drawPicture(ctx, vp, picture);
      this.pictureKey = key;
    }
    const overlay = this.overlayLayer.getContext("2d");
    if (overlay !== null) drawOverlay(overlay, scene);
    this.durations.push(this.now() - t0);
    if (this.durations.length > Renderer.KEEP) this.durations.shift();
  }

  /** Forces the picture layer to be repainted on the next render (a new picture). */
  invalidatePicture(): void {
    this.pictureKey = "";
  }

  /** Durations of the last renders in ms, oldest first. */
  frameDurations(): readonly number[] {
    return this.durations;
  }
}

/** Coalesces redraw requests into at most one per animation frame. */
export class FrameScheduler {
  private pending: number | null = null;

  constructor(
    private readonly draw: () => void,
    private readonly raf: (cb: () => void) => number = (cb) => requestAnimationFrame(cb),
    private readonly caf: (id: number) => void = (id) => cancelAnimationFrame(id),
  ) {}

  request(): void {
    if (this.pending !== null) return;
    this.pending = this.raf(() => {
      this.pending = null;
      this.draw();
    });
  }

  get scheduled(): boolean {
    return this.pending !== null;
  }

  cancel(): void {
    if (this.pending !== null) this.caf(this.pending);
    this.pending = null;
  }
}
