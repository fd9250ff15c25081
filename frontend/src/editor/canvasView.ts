// Attaches a ZoneEditor to the page: two stacked canvases sized by devicePixelRatio,
// pointer, wheel, pinch and keyboard input, and a redraw at most once per frame.

import type { ZoneEditor } from "./editor";
import { commandForKey, WORKS_IN_TEXT_FIELDS, type Command } from "./keymap";
import type { Picture } from "./picture";
import { FrameScheduler, Renderer } from "./renderer";
import { clientToScreen } from "./viewport";
import { screenPoint, type ScreenPoint } from "./geometry";

export interface CanvasViewOptions {
  /** Commands the editor does not handle itself (save). */
  readonly onCommand?: (cmd: Command) => boolean;
  /** False while a dialog is open: keys then belong to it. */
  readonly keyboardEnabled?: () => boolean;
}

export interface CanvasView {
  setPicture(picture: Picture | null): void;
  /** Durations of the last renders (ms), for measurement. */
  frameDurations(): readonly number[];
  destroy(): void;
}

/** Controls whose keys are their own: typing, choosing, ticking. */
function isFormControl(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable ||
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement
  );
}

/** Elements that Space activates. */
function isActivatable(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLButtonElement ||
    target instanceof HTMLAnchorElement ||
    (target instanceof HTMLElement && target.tagName === "SUMMARY")
  );
}

export function mountCanvasView(host: HTMLElement, editor: ZoneEditor, options: CanvasViewOptions = {}): CanvasView {
  const pictureCanvas = document.createElement("canvas");
  const overlay = document.createElement("canvas");
  pictureCanvas.className = "editor-layer";
  overlay.className = "editor-layer editor-overlay";
  pictureCanvas.setAttribute("aria-hidden", "true");
  overlay.setAttribute("role", "img");
  overlay.setAttribute("aria-label", "Reference picture with zones");
  overlay.dataset["testid"] = "editor-canvas";
  host.append(pictureCanvas, overlay);

  let picture: Picture | null = null;
  const renderer = new Renderer(pictureCanvas, overlay);
  const scheduler = new FrameScheduler(() => {
    renderer.render(editor.scene(), picture);
    const vp = editor.viewport;
    overlay.style.cursor = editor.snapshot().cursor;
    // For tests and tools that need to know where the picture is on screen.
    host.dataset["zoom"] = String(vp.zoom);
    host.dataset["offsetX"] = String(vp.offsetX);
    host.dataset["offsetY"] = String(vp.offsetY);
  });
  const unsubscribe = editor.subscribe(() => scheduler.request());

  // ----- size -------------------------------------------------------------------------
  const measure = (): void => {
    const box = host.getBoundingClientRect();
    editor.resize(box.width, box.height, window.devicePixelRatio || 1);
    scheduler.request();
  };
  const resizeObserver = new ResizeObserver(measure);
  resizeObserver.observe(host);
  let dprQuery: MediaQueryList | null = null;
  const watchDpr = (): void => {
    dprQuery?.removeEventListener("change", onDprChange);
    dprQuery = window.matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
    dprQuery.addEventListener("change", onDprChange);
  };
  function onDprChange(): void {
    measure();
    watchDpr();
  }
  watchDpr();
  measure();

  // ----- pointer ----------------------------------------------------------------------
  const at = (e: { clientX: number; clientY: number }): ScreenPoint =>
    clientToScreen(e.clientX, e.clientY, overlay.getBoundingClientRect());
  const touches = new Map<number, ScreenPoint>();
  let pinchLast: { distance: number; mid: ScreenPoint } | null = null;
  let spaceHeld = false;
  let primary: number | null = null;

  // Two touches: their distance and midpoint, both in screen pixels.
  const midpoint = (): { distance: number; mid: ScreenPoint } | null => {
    const [a, b] = [...touches.values()];
    if (a === undefined || b === undefined) return null;
    return {
      distance: Math.max(1, Math.hypot(a.x - b.x, a.y - b.y)),
      mid: screenPoint((a.x + b.x) / 2, (a.y + b.y) / 2),
    };
  };

  const onPointerDown = (e: PointerEvent): void => {
    host.focus({ preventScroll: true });
    if (e.pointerType === "touch") {
      touches.set(e.pointerId, at(e));
      if (touches.size === 2) {
        // A second finger: whatever the first started becomes a pinch.
        editor.cancelGesture();
        primary = null;
        pinchLast = midpoint();
        return;
      }
      if (touches.size > 2) return;
    }
    if (e.button !== 0 && e.button !== 1) return;
    e.preventDefault();
    overlay.setPointerCapture(e.pointerId);
    primary = e.pointerId;
    editor.pointerDown({
      point: at(e),
      shiftKey: e.shiftKey,
      altKey: e.altKey,
      pan: e.button === 1 || spaceHeld,
    });
  };

  const onPointerMove = (e: PointerEvent): void => {
    if (e.pointerType === "touch" && touches.has(e.pointerId)) {
      touches.set(e.pointerId, at(e));
      if (touches.size === 2 && pinchLast !== null) {
        const next = midpoint();
        if (next !== null) {
          editor.pinch(
            next.mid,
            next.distance / pinchLast.distance,
            next.mid.x - pinchLast.mid.x,
            next.mid.y - pinchLast.mid.y,
          );
          pinchLast = next;
        }
        return;
      }
    }
    if (primary !== null && e.pointerId !== primary) return;
    editor.pointerMove({ point: at(e), shiftKey: e.shiftKey, altKey: e.altKey });
  };

  const onPointerUp = (e: PointerEvent): void => {
    if (e.pointerType === "touch") {
      touches.delete(e.pointerId);
      if (touches.size < 2) pinchLast = null;
    }
    if (e.pointerId !== primary) return;
    primary = null;
    if (overlay.hasPointerCapture(e.pointerId)) overlay.releasePointerCapture(e.pointerId);
    editor.pointerUp({ point: at(e), shiftKey: e.shiftKey, altKey: e.altKey });
  };

  const onPointerCancel = (e: PointerEvent): void => {
    touches.delete(e.pointerId);
    if (touches.size < 2) pinchLast = null;
    if (e.pointerId !== primary) return;
    primary = null;
    editor.cancelGesture();
  };

  const onWheel = (e: WheelEvent): void => {
    e.preventDefault();
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
    editor.wheel(at(e), e.deltaY * unit, e.ctrlKey);
  };

  // ----- keyboard -----------------------------------------------------------------------
  const onKeyDown = (e: KeyboardEvent): void => {
    if (options.keyboardEnabled !== undefined && !options.keyboardEnabled()) return;
    const inText = isFormControl(e.target);
    if (e.key === " " && !inText && !isActivatable(e.target) && !e.repeat) {
      spaceHeld = true;
      editor.setCursor("grab");
      e.preventDefault();
      return;
    }
    const cmd = commandForKey(e);
    if (cmd === null) return;
    // Fields bound to the zones (marked data-editor-fields) undo through the editor's
    // history, which holds their typing; other fields keep the browser's own undo.
    const zoneField = inText && e.target instanceof Element && e.target.closest("[data-editor-fields]") !== null;
    const allowed = WORKS_IN_TEXT_FIELDS.has(cmd.kind) || (zoneField && (cmd.kind === "undo" || cmd.kind === "redo"));
    if (inText && !allowed) return;
    const handled = options.onCommand?.(cmd) === true || editor.execute(cmd);
    if (handled || cmd.kind === "save") e.preventDefault();
  };
  const onKeyUp = (e: KeyboardEvent): void => {
    if (e.key === " " && spaceHeld) {
      spaceHeld = false;
      editor.setCursor(editor.tool === "hand" ? "grab" : "crosshair");
    }
  };
  const onBlur = (): void => {
    spaceHeld = false;
  };

  overlay.addEventListener("pointerdown", onPointerDown);
  overlay.addEventListener("pointermove", onPointerMove);
  overlay.addEventListener("pointerup", onPointerUp);
  overlay.addEventListener("pointercancel", onPointerCancel);
  overlay.addEventListener("pointerleave", () => editor.pointerLeave());
  overlay.addEventListener("wheel", onWheel, { passive: false });
  overlay.addEventListener("contextmenu", (e) => e.preventDefault());
  window.addEventListener("keydown", onKeyDown);
  window.addEventListener("keyup", onKeyUp);
  window.addEventListener("blur", onBlur);

  return {
    setPicture(next: Picture | null): void {
      picture = next;
      renderer.invalidatePicture();
      scheduler.request();
    },
    frameDurations: () => renderer.frameDurations(),
    destroy(): void {
      unsubscribe();
      scheduler.cancel();
      resizeObserver.disconnect();
      dprQuery?.removeEventListener("change", onDprChange);
      window.removeEventListener("keydown", onKeyDown);
      window.removeEventListener("keyup", onKeyUp);
      window.removeEventListener("blur", onBlur);
      pictureCanvas.remove();
      overlay.remove();
    },
  };
}
