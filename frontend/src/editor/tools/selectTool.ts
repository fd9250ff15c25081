// The main tool: click to select, drag a zone to move it, drag a handle to resize,
// drag on empty picture to draw a new zone.
//
//   idle --down--> pointing --moved past DRAG_THRESHOLD--> moving | resizing | drawing
//     ^               |                                         |
//     +------up-------+ (a click: select / deselect)            |
//     +------------------------------up (commit) ---------------+
//     +--Escape (preview dropped) -- cancelled --up-------------+

import { moveZones, setRects, addZone, type Zone, type ZoneDoc } from "../document";
import {
  handleCursor,
  rectFromCorners,
  resizeRect,
  type Handle,
  type ImagePoint,
  type Rect,
  type ScreenPoint,
} from "../geometry";
import { hitTest, type Hit } from "../hitTest";
import { screenToImage } from "../viewport";
import { DRAG_THRESHOLD, MIN_DRAW_SCREEN_SIZE, type PointerInput, type Tool, type ToolHost } from "./types";

type State =
  | { readonly kind: "idle" }
  | { readonly kind: "pointing"; readonly start: ScreenPoint; readonly hit: Hit; readonly wasSelected: boolean }
  | { readonly kind: "moving"; readonly start: ScreenPoint; readonly ids: readonly string[]; readonly preview: ZoneDoc }
  | {
      readonly kind: "resizing";
      readonly start: ScreenPoint;
      readonly zoneId: string;
      readonly handle: Handle;
      readonly rect: Rect;
      readonly preview: ZoneDoc;
    }
  | { readonly kind: "drawing"; readonly anchor: ImagePoint; readonly zone: Zone; readonly preview: ZoneDoc }
  | { readonly kind: "cancelled" };

function cursorFor(hit: Hit): string {
  if (hit.kind === "handle") return handleCursor(hit.handle);
  if (hit.kind === "zone") return "move";
  return "crosshair";
}

export class SelectTool implements Tool {
  private s: State = { kind: "idle" };

  get state(): string {
    return this.s.kind;
  }

  pointerDown(host: ToolHost, e: PointerInput): void {
    const hit = hitTest(host.view, host.selection, host.viewport, e.point);
    let wasSelected = false;
    if (hit.kind === "zone") {
      wasSelected = host.selection.includes(hit.zoneId);
      if (e.shiftKey) {
        // Shift-click adds to the selection; taking one out again happens on release.
        if (!wasSelected) host.select([...host.selection, hit.zoneId]);
      } else if (!wasSelected) {
        host.select([hit.zoneId]);
      }
    }
    this.s = { kind: "pointing", start: e.point, hit, wasSelected };
    host.setCursor(cursorFor(hit));
  }

  pointerMove(host: ToolHost, e: PointerInput): void {
    const s = this.s;
    switch (s.kind) {
      case "idle":
        host.setCursor(cursorFor(hitTest(host.view, host.selection, host.viewport, e.point)));
        return;
      case "cancelled":
        return;
      case "pointing":
        if (Math.hypot(e.point.x - s.start.x, e.point.y - s.start.y) < DRAG_THRESHOLD) return;
        this.startDrag(host, s.start, s.hit);
        this.pointerMove(host, e);
        return;
      case "moving": {
        let dx = (e.point.x - s.start.x) / host.viewport.zoom;
        let dy = (e.point.y - s.start.y) / host.viewport.zoom;
        if (e.shiftKey) {
          // Shift keeps the move to one axis, the one the pointer went further along.
          if (Math.abs(dx) >= Math.abs(dy)) dy = 0;
          else dx = 0;
        }
        this.update(host, { ...s, preview: moveZones(host.doc, s.ids, dx, dy) });
        return;
      }
      case "resizing": {
        const dx = (e.point.x - s.start.x) / host.viewport.zoom;
        const dy = (e.point.y - s.start.y) / host.viewport.zoom;
        const rect = resizeRect(s.rect, s.handle, dx, dy, host.view.image);
        this.update(host, { ...s, preview: setRects(host.doc, new Map([[s.zoneId, rect]])) });
        return;
      }
      case "drawing": {
        const rect = rectFromCorners(s.anchor, screenToImage(host.viewport, e.point), host.view.image);
        const zone = { ...s.zone, ...rect };
        this.update(host, { ...s, zone, preview: addZone(host.doc, zone) });
        return;
      }
    }
  }

  pointerUp(host: ToolHost, e: PointerInput): void {
    const s = this.s;
    this.s = { kind: "idle" };
    switch (s.kind) {
      case "idle":
      case "cancelled":
        return;
      case "pointing":
        this.click(host, s, e);
        return;
      case "moving":
      case "resizing":
        if (s.preview === host.doc) host.preview(null);
        else host.commit(s.preview, host.selection);
        return;
      case "drawing": {
        const z = host.viewport.zoom;
        if (s.zone.width * z < MIN_DRAW_SCREEN_SIZE || s.zone.height * z < MIN_DRAW_SCREEN_SIZE) {
          host.preview(null);
          return;
        }
        host.commit(s.preview, [s.zone.id]);
        return;
      }
    }
  }

  cancel(host: ToolHost): boolean {
    const s = this.s;
    if (s.kind === "idle" || s.kind === "cancelled") return false;
    host.preview(null);
    // Further moves of this press do nothing; the release returns to idle.
    this.s = s.kind === "pointing" ? { kind: "idle" } : { kind: "cancelled" };
    return true;
  }

  private startDrag(host: ToolHost, start: ScreenPoint, hit: Hit): void {
    if (hit.kind === "handle") {
      const zone = host.view.zones.find((z) => z.id === hit.zoneId);
      if (zone === undefined) return;
      this.s = { kind: "resizing", start, zoneId: zone.id, handle: hit.handle, rect: zone, preview: host.doc };
    } else if (hit.kind === "zone") {
      this.s = { kind: "moving", start, ids: host.selection, preview: host.doc };
      host.setCursor("move");
    } else {
      const anchor = screenToImage(host.viewport, start);
      const zone = host.createZone(rectFromCorners(anchor, anchor, host.view.image));
      host.select([]);
      this.s = { kind: "drawing", anchor, zone, preview: host.doc };
      host.setCursor("crosshair");
    }
  }

  private update(host: ToolHost, next: State & { preview: ZoneDoc }): void {
    this.s = next;
    host.preview(next.preview);
  }

  private click(host: ToolHost, s: Extract<State, { kind: "pointing" }>, e: PointerInput): void {
    const hit = s.hit;
    if (hit.kind === "empty") {
      if (!e.shiftKey) host.select([]);
    } else if (hit.kind === "zone" && s.wasSelected) {
      // A click on a zone that was already selected: Shift takes it out of the
      // selection, a plain click narrows the selection to it.
      if (e.shiftKey) host.select(host.selection.filter((id) => id !== hit.zoneId));
      else host.select([hit.zoneId]);
    }
  }
}
