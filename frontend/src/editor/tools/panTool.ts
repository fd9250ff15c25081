// Panning: the hand tool, space-drag and middle-drag all use this machine.

import type { ScreenPoint } from "../geometry";
import { panBy } from "../viewport";
import type { PointerInput, Tool, ToolHost } from "./types";

type State = { readonly kind: "idle" } | { readonly kind: "panning"; readonly last: ScreenPoint };

export class PanTool implements Tool {
  private s: State = { kind: "idle" };

  get state(): string {
    return this.s.kind;
  }

  pointerDown(host: ToolHost, e: PointerInput): void {
    this.s = { kind: "panning", last: e.point };
    host.setCursor("grabbing");
  }

  pointerMove(host: ToolHost, e: PointerInput): void {
    if (this.s.kind !== "panning") {
      host.setCursor("grab");
      return;
    }
    host.setViewport(panBy(host.viewport, e.point.x - this.s.last.x, e.point.y - this.s.last.y));
    this.s = { kind: "panning", last: e.point };
  }

  pointerUp(host: ToolHost): void {
    this.s = { kind: "idle" };
    host.setCursor("grab");
  }

  cancel(host: ToolHost): boolean {
    const had = this.s.kind !== "idle";
    this.s = { kind: "idle" };
    host.setCursor("grab");
    return had;
  }
}
