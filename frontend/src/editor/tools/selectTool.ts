// The main tool: click to select, drag a zone to move it, drag a handle to resize,
// drag on empty picture to draw a new zone. With suggestions shown, a click on one adds
// it as a zone and Shift-drag on empty picture lassoes the ones to add.
//
//   idle --down--> pointing --moved past DRAG_THRESHOLD--> moving | resizing | drawing | lassoing
//     ^               |                                                     |
//     +------up-------+ (a click: select / deselect / add a suggestion)     |
//     +------------------------------up (commit) ---------------------------+
//     +--Escape (preview dropped) -- cancelled --up-------------------------+
//
// Drawing and resizing snap the moving edges (all four, drawing) to printed lines within
// SNAP_DISTANCE screen pixels; Alt held turns that off.

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
import { SNAP_DISTANCE, snapRect, type Edge } from "../snapping";
import { inside, suggestionAt, type Suggestion } from "../suggestions";
import { screenLengthToImage, screenToImage } from "../viewport";
import { DRAG_THRESHOLD, MIN_DRAW_SCREEN_SIZE, type PointerInput, type Tool, type ToolHost } from "./types";

type State =
  | { readonly kind: "idle" }
  | {
      readonly kind: "pointing";
      readonly start: ScreenPoint;
      readonly hit: Hit;
      readonly wasSelected: boolean;
      /** The suggestion under a press on empty picture. */
      readonly ghost: Suggestion | null;
    }
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
  | { readonly kind: "lassoing"; readonly anchor: ImagePoint; readonly area: Rect }
  | { readonly kind: "cancelled" };

function cursorFor(hit: Hit, ghost: Suggestion | null): string {
  if (hit.kind === "handle") return handleCursor(hit.handle);
  if (hit.kind === "zone") return "move";
  return ghost !== null ? "copy" : "crosshair";
}

const ALL_EDGES: readonly Edge[] = ["left", "top", "right", "bottom"];

/** The edges a resize moves: those of the handle, or their opposites once dragged past. */
function movingEdges(handle: Handle, start: Rect, rect: Rect): Edge[] {
  const edges: Edge[] = [];
  if (handle.includes("w")) edges.push(rect.x + rect.width === start.x + start.width ? "left" : "right");
  if (handle.includes("e")) edges.push(rect.x === start.x ? "right" : "left");
  if (handle.includes("n")) edges.push(rect.y + rect.height === start.y + start.height ? "top" : "bottom");
  if (handle.includes("s")) edges.push(rect.y === start.y ? "bottom" : "top");
  return edges;
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
    const ghost = hit.kind === "empty" ? this.ghostAt(host, e.point) : null;
    this.s = { kind: "pointing", start: e.point, hit, wasSelected, ghost };
    host.setCursor(cursorFor(hit, ghost));
  }

  pointerMove(host: ToolHost, e: PointerInput): void {
    const s = this.s;
    switch (s.kind) {
      case "idle": {
        const hit = hitTest(host.view, host.selection, host.viewport, e.point);
        host.setCursor(cursorFor(hit, hit.kind === "empty" ? this.ghostAt(host, e.point) : null));
        return;
      }
      case "cancelled":
        return;
      case "pointing":
        if (Math.hypot(e.point.x - s.start.x, e.point.y - s.start.y) < DRAG_THRESHOLD) return;
        this.startDrag(host, s.start, s.hit, e.shiftKey);
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
        const resized = resizeRect(s.rect, s.handle, dx, dy, host.view.image);
        const rect = this.snapped(host, resized, movingEdges(s.handle, s.rect, resized), e);
        this.update(host, { ...s, preview: setRects(host.doc, new Map([[s.zoneId, rect]])) });
        return;
      }
      case "drawing": {
        const drawn = rectFromCorners(s.anchor, screenToImage(host.viewport, e.point), host.view.image);
        const zone = { ...s.zone, ...this.snapped(host, drawn, ALL_EDGES, e) };
        this.update(host, { ...s, zone, preview: addZone(host.doc, zone) });
        return;
      }
      case "lassoing": {
        const area = rectFromCorners(s.anchor, screenToImage(host.viewport, e.point), host.view.image);
        this.s = { ...s, area };
        host.setLasso(area);
        return;
      }
    }
  }

  pointerUp(host: ToolHost, e: PointerInput): void {
    const s = this.s;
    this.s = { kind: "idle" };
    host.setGuides([]);
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
      case "lassoing": {
        host.setLasso(null);
        const taken = inside(host.suggestions, s.area);
        if (taken.length > 0) host.acceptSuggestions(taken);
        return;
      }
    }
  }

  cancel(host: ToolHost): boolean {
    const s = this.s;
    if (s.kind === "idle" || s.kind === "cancelled") return false;
    host.preview(null);
    host.setGuides([]);
    host.setLasso(null);
    // Further moves of this press do nothing; the release returns to idle.
    this.s = s.kind === "pointing" ? { kind: "idle" } : { kind: "cancelled" };
    return true;
  }

  private ghostAt(host: ToolHost, p: ScreenPoint): Suggestion | null {
    if (host.suggestions.length === 0) return null;
    return suggestionAt(host.suggestions, screenToImage(host.viewport, p));
  }

  /** `rect` with `edges` snapped to the printed lines near them, unless Alt is held;
   *  the lines snapped to are shown as guides. */
  private snapped(host: ToolHost, rect: Rect, edges: readonly Edge[], e: PointerInput): Rect {
    if (e.altKey || host.snapLines.length === 0) {
      host.setGuides([]);
      return rect;
    }
    const tolerance = screenLengthToImage(host.viewport, SNAP_DISTANCE);
    const snapped = snapRect(rect, edges, host.snapLines, tolerance, host.view.image);
    host.setGuides(snapped.guides);
    return snapped.rect;
  }

  private startDrag(host: ToolHost, start: ScreenPoint, hit: Hit, shiftKey: boolean): void {
    if (hit.kind === "handle") {
      const zone = host.view.zones.find((z) => z.id === hit.zoneId);
      if (zone === undefined) return;
      this.s = { kind: "resizing", start, zoneId: zone.id, handle: hit.handle, rect: zone, preview: host.doc };
    } else if (hit.kind === "zone") {
      this.s = { kind: "moving", start, ids: host.selection, preview: host.doc };
      host.setCursor("move");
    } else if (shiftKey && host.suggestions.length > 0) {
      const anchor = screenToImage(host.viewport, start);
      this.s = { kind: "lassoing", anchor, area: rectFromCorners(anchor, anchor, host.view.image) };
      host.setCursor("crosshair");
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
      if (s.ghost !== null) host.acceptSuggestions([s.ghost]);
      else if (!e.shiftKey) host.select([]);
    } else if (hit.kind === "zone" && s.wasSelected) {
      // A click on a zone that was already selected: Shift takes it out of the
      // selection, a plain click narrows the selection to it.
      if (e.shiftKey) host.select(host.selection.filter((id) => id !== hit.zoneId));
      else host.select([hit.zoneId]);
    }
  }
}
