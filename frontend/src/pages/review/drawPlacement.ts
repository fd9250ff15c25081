// Drawing the review canvas: the picture, the page's outline through its four corners,
// and every zone of the model where that placement puts it, named. Picture pixels
// reach the screen through the viewport only.

import type { ZoneRead } from "../../api/types";
import { folderColor, withAlpha } from "../../editor/colors";
import { imagePoint, type Size } from "../../editor/geometry";
import type { Picture } from "../../editor/picture";
import { drawPicture, type Ctx2D } from "../../editor/renderer";
import { imageToScreen, type Viewport } from "../../editor/viewport";
import { applyHomography, homographyFromPoints, rectCorners, type Point, type Quad } from "../../lib/homography";

export interface PlacementScene {
  readonly viewport: Viewport;
  readonly picture: Picture | null;
  /** Where the reference's corners are, in picture pixels. */
  readonly corners: Quad;
  /** The reference picture's size: the zones' coordinates. */
  readonly reference: Size;
  readonly zones: readonly Pick<ZoneRead, "name" | "folder" | "x" | "y" | "width" | "height">[];
  /** The model's folders in first-use order: their colours. */
  readonly folderOrder: readonly string[];
}

/** The 2D context calls the review canvas makes (tests record them). */
export type PlacementCtx = Ctx2D & Pick<CanvasRenderingContext2D, "moveTo" | "lineTo" | "closePath">;

const PAGE_OUTLINE = "#2459c2";
const LABEL_FONT = "600 12px system-ui, sans-serif";
const LABEL_HEIGHT = 17;

export function drawPlacement(ctx: PlacementCtx, scene: PlacementScene): void {
  const vp = scene.viewport;
  drawPicture(ctx, vp, scene.picture);
  ctx.setTransform(vp.dpr, 0, 0, vp.dpr, 0, 0);
  const onScreen = ([x, y]: Point) => imageToScreen(vp, imagePoint(x, y));
  const path = (quad: readonly Point[]): void => {
    ctx.beginPath();
    quad.forEach((p, i) => {
      const s = onScreen(p);
      if (i === 0) ctx.moveTo(s.x, s.y);
      else ctx.lineTo(s.x, s.y);
    });
    ctx.closePath();
  };

  path(scene.corners);
  ctx.setLineDash([6, 4]);
  ctx.lineWidth = 2;
  ctx.strokeStyle = PAGE_OUTLINE;
  ctx.stroke();
  ctx.setLineDash([]);

  const { width, height } = scene.reference;
  const h = homographyFromPoints(rectCorners(0, 0, width, height), scene.corners);
  if (h === null) return;
  ctx.font = LABEL_FONT;
  ctx.textBaseline = "bottom";
  for (const zone of scene.zones) {
    const quad = rectCorners(zone.x, zone.y, zone.width, zone.height).map((p) => applyHomography(h, p));
    const color = folderColor(zone.folder, scene.folderOrder);
    path(quad);
    ctx.fillStyle = withAlpha(color, 0.18);
    ctx.fill();
    ctx.lineWidth = 2;
    ctx.strokeStyle = color;
    ctx.stroke();
    // The name on a tab above the zone's first corner.
    const at = onScreen(quad[0] as Point);
    const textWidth = ctx.measureText(zone.name).width;
    ctx.fillStyle = color;
    ctx.fillRect(at.x, at.y - LABEL_HEIGHT, textWidth + 8, LABEL_HEIGHT);
    ctx.fillStyle = "#ffffff";
    ctx.fillText(zone.name, at.x + 4, at.y - 3);
  }
}
