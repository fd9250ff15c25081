// A review item's picture on a canvas, the model's zones drawn where the current
// placement puts them, and four page-corner handles to drag (or move with the arrow
// keys once focused). The zones follow live: each zone rectangle goes through the
// homography from the reference's corners to the handles. The editor core does the
// rest: the viewport fits the picture and converts between screen and picture
// pixels, CornerDragTool takes and moves a corner, drawPlacement draws.

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { fetchFile } from "../../api/http";
import { explain } from "../../api/problem";
import type { ZoneRead } from "../../api/types";
import type { ScreenPoint } from "../../editor/geometry";
import { arrowStep } from "../../editor/keymap";
import { Picture } from "../../editor/picture";
import { sizeLayer } from "../../editor/renderer";
import { CornerDragTool, nudgeCorner } from "../../editor/tools/cornerDragTool";
import { clientToScreen, imageToScreen, viewportFitting } from "../../editor/viewport";
import type { Quad } from "../../lib/homography";
import { drawPlacement } from "./drawPlacement";
import { fromImageQuad, toImageQuad } from "./placement";

export const CORNER_NAMES = ["Top-left", "Top-right", "Bottom-right", "Bottom-left"] as const;

export interface ReviewCanvasProps {
  readonly pictureUrl: string;
  /** The picture's size in picture pixels (the coordinates of `corners`). */
  readonly picture: { readonly width: number; readonly height: number };
  /** The model's reference picture size (the coordinates of the zones). */
  readonly reference: { readonly width: number; readonly height: number };
  readonly zones: readonly ZoneRead[];
  readonly folderOrder: readonly string[];
  readonly corners: Quad;
  readonly onCorners: (corners: Quad) => void;
}

const MAX_HEIGHT_SHARE = 0.68;
/** A corner handle is a round button this many CSS pixels across its middle. */
const HANDLE_RADIUS = 11;

export function ReviewCanvas(props: ReviewCanvasProps) {
  const { pictureUrl, picture, reference, zones, folderOrder, corners, onCorners } = props;
  const wrapRef = useRef<HTMLDivElement>(null);
  const stageRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const handleRefs = useRef<(HTMLButtonElement | null)[]>([]);
  const [decoded, setDecoded] = useState<Picture | null>(null);
  // Grows as the picture's smaller copies come in: each is a reason to draw again.
  const [levels, setLevels] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [width, setWidth] = useState(0);
  const [tool] = useState(() => new CornerDragTool(HANDLE_RADIUS));
  const dragPointer = useRef<number | null>(null);

  // The picture, decoded once per item.
  useEffect(() => {
    const abort = new AbortController();
    let mine: Picture | null = null;
    setDecoded(null);
    setError(null);
    fetchFile(pictureUrl, abort.signal)
      .then((blob) =>
        Picture.decode(blob, { width: picture.width, height: picture.height }, () => setLevels((n) => n + 1)),
      )
      .then(
        (p) => {
          if (abort.signal.aborted) {
            p.close();
            return;
          }
          mine = p;
          setDecoded(p);
        },
        (e: unknown) => {
          if (!abort.signal.aborted) setError(explain(e));
        },
      );
    return () => {
      abort.abort();
      mine?.close();
    };
  }, [pictureUrl, picture.width, picture.height]);

  // The room there is: the wrapper's width, and a share of the window's height.
  useEffect(() => {
    const wrap = wrapRef.current;
    if (wrap === null) return;
    const observer = new ResizeObserver(() => setWidth(wrap.clientWidth));
    observer.observe(wrap);
    setWidth(wrap.clientWidth);
    return () => observer.disconnect();
  }, []);

  const maxHeight = Math.max(240, window.innerHeight * MAX_HEIGHT_SHARE);
  const dpr = window.devicePixelRatio || 1;
  const vp = useMemo(
    () => viewportFitting(picture, { width, height: maxHeight }, dpr),
    [picture.width, picture.height, width, maxHeight, dpr],
  );

  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas === null || vp === null) return;
    sizeLayer(canvas, vp);
    const ctx = canvas.getContext("2d");
    if (ctx === null) return;
    drawPlacement(ctx, { viewport: vp, picture: decoded, corners, reference, zones, folderOrder });
  }, [vp, decoded, levels, corners, reference.width, reference.height, zones, folderOrder]);

  const quad = toImageQuad(corners);
  const at = (e: PointerEvent): ScreenPoint =>
    clientToScreen(e.clientX, e.clientY, (stageRef.current as HTMLElement).getBoundingClientRect());

  // A press on a corner's handle drags that corner; the handle keeps the pointer (and
  // its grabbing cursor) until the release.
  const onPointerDown = (e: PointerEvent): void => {
    if (vp === null) return;
    const corner = tool.pointerDown(vp, quad, at(e));
    if (corner === null) return;
    e.preventDefault();
    const handle = handleRefs.current[corner];
    handle?.focus();
    handle?.setPointerCapture(e.pointerId);
    dragPointer.current = e.pointerId;
  };
  const onPointerMove = (e: PointerEvent): void => {
    if (vp === null || e.pointerId !== dragPointer.current) return;
    const next = tool.pointerMove(vp, quad, at(e), picture);
    if (next !== null) onCorners(fromImageQuad(next));
  };
  const onPointerUp = (e: PointerEvent): void => {
    if (e.pointerId !== dragPointer.current) return;
    dragPointer.current = null;
    if (vp === null) {
      tool.cancel();
      return;
    }
    const next = tool.pointerUp(vp, quad, at(e), picture);
    if (next !== null) onCorners(fromImageQuad(next));
  };
  const onPointerCancel = (e: PointerEvent): void => {
    if (e.pointerId !== dragPointer.current) return;
    dragPointer.current = null;
    tool.cancel();
  };

  return (
    <div class="review-canvas-wrap" ref={wrapRef}>
      {error !== null && <p class="picture-error">{error}</p>}
      <div
        ref={stageRef}
        class="review-stage"
        style={{ width: `${vp?.width ?? 0}px`, height: `${vp?.height ?? 0}px` }}
        data-scale={vp?.zoom ?? 0}
        data-testid="review-stage"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerCancel}
      >
        <canvas
          ref={canvasRef}
          class="review-canvas"
          style={{ width: `${vp?.width ?? 0}px`, height: `${vp?.height ?? 0}px` }}
          role="img"
          aria-label={`The picture with ${zones.length} zones placed on it`}
          aria-busy={decoded === null}
        />
        {vp !== null &&
          quad.map((corner, i) => {
            const s = imageToScreen(vp, corner);
            return (
              <button
                key={CORNER_NAMES[i]}
                ref={(el) => {
                  handleRefs.current[i] = el;
                }}
                type="button"
                class="review-handle"
                style={{
                  left: `${s.x}px`,
                  top: `${s.y}px`,
                  width: `${2 * HANDLE_RADIUS}px`,
                  height: `${2 * HANDLE_RADIUS}px`,
                }}
                aria-label={`${CORNER_NAMES[i]} corner of the page`}
                title={`${CORNER_NAMES[i]} corner: ${Math.round(corner.x)}, ${Math.round(corner.y)}. Drag it, or use the arrow keys.`}
                data-corner={i}
                onKeyDown={(e) => {
                  const step = arrowStep(e);
                  if (step === null) return;
                  e.preventDefault();
                  onCorners(fromImageQuad(nudgeCorner(vp, quad, i, step.dx, step.dy, picture)));
                }}
              />
            );
          })}
      </div>
    </div>
  );
}
