// A review item's picture on a canvas, the model's zones drawn where the current
// placement puts them, and four page-corner handles to drag (or move with the arrow
// keys once focused). The zones follow live: each zone rectangle goes through the
// homography from the reference's corners to the handles.

import { useEffect, useRef, useState } from "preact/hooks";
import { fetchFile } from "../../api/http";
import { explain } from "../../api/problem";
import type { ZoneRead } from "../../api/types";
import { folderColor, withAlpha } from "../../editor/colors";
import { applyHomography, homographyFromPoints, rectCorners, type Point, type Quad } from "../../lib/homography";

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

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

export function ReviewCanvas(props: ReviewCanvasProps) {
  const { pictureUrl, picture, reference, zones, folderOrder, corners, onCorners } = props;
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [bitmap, setBitmap] = useState<ImageBitmap | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [width, setWidth] = useState(0);
  const dragging = useRef<number | null>(null);

  // The picture, decoded once per item.
  useEffect(() => {
    const abort = new AbortController();
    let decoded: ImageBitmap | null = null;
    setBitmap(null);
    setError(null);
    fetchFile(pictureUrl, abort.signal)
      .then((blob) => createImageBitmap(blob, { imageOrientation: "from-image" }))
      .then(
        (b) => {
          if (abort.signal.aborted) {
            b.close();
            return;
          }
          decoded = b;
          setBitmap(b);
        },
        (e: unknown) => {
          if (!abort.signal.aborted) setError(explain(e));
        },
      );
    return () => {
      abort.abort();
      decoded?.close();
    };
  }, [pictureUrl]);

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
  const scale = width > 0 ? Math.min(width / picture.width, maxHeight / picture.height) : 0;
  const cssW = Math.round(picture.width * scale);
  const cssH = Math.round(picture.height * scale);

  // Draw: the picture, the page outline, then every zone through the placement.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas === null || scale === 0) return;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(cssW * dpr));
    canvas.height = Math.max(1, Math.round(cssH * dpr));
    const ctx = canvas.getContext("2d");
    if (ctx === null) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    if (bitmap !== null) ctx.drawImage(bitmap, 0, 0, cssW, cssH);
    const toCss = ([x, y]: Point): Point => [x * scale, y * scale];
    const path = (quad: readonly Point[]): void => {
      ctx.beginPath();
      quad.forEach((p, i) => {
        const [x, y] = toCss(p);
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      ctx.closePath();
    };
    path(corners);
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#2459c2";
    ctx.stroke();
    ctx.setLineDash([]);
    const h = homographyFromPoints(rectCorners(0, 0, reference.width, reference.height), corners);
    if (h === null) return;
    ctx.font = "600 12px system-ui, sans-serif";
    ctx.textBaseline = "bottom";
    for (const zone of zones) {
      const quad = rectCorners(zone.x, zone.y, zone.width, zone.height).map((p) => applyHomography(h, p));
      const color = folderColor(zone.folder, folderOrder);
      path(quad);
      ctx.fillStyle = withAlpha(color, 0.18);
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = color;
      ctx.stroke();
      const [lx, ly] = toCss(quad[0] as Point);
      const label = zone.name;
      const tw = ctx.measureText(label).width;
      ctx.fillStyle = color;
      ctx.fillRect(lx, ly - 17, tw + 8, 17);
      ctx.fillStyle = "#ffffff";
      ctx.fillText(label, lx + 4, ly - 3);
    }
  }, [bitmap, corners, cssH, cssW, folderOrder, reference.height, reference.width, scale, zones]);

  const move = (index: number, p: Point): void => {
    const next = [...corners] as Point[];
    next[index] = [
      Math.round(clamp(p[0], 0, picture.width) * 10) / 10,
      Math.round(clamp(p[1], 0, picture.height) * 10) / 10,
    ];
    onCorners(next as unknown as Quad);
  };

  const fromEvent = (e: PointerEvent): Point => {
    const rect = (wrapRef.current?.querySelector(".review-stage") as HTMLElement).getBoundingClientRect();
    return [(e.clientX - rect.left) / scale, (e.clientY - rect.top) / scale];
  };

  return (
    <div class="review-canvas-wrap" ref={wrapRef}>
      {error !== null && <p class="picture-error">{error}</p>}
      <div
        class="review-stage"
        style={{ width: `${cssW}px`, height: `${cssH}px` }}
        data-scale={scale}
        data-testid="review-stage"
      >
        <canvas
          ref={canvasRef}
          class="review-canvas"
          style={{ width: `${cssW}px`, height: `${cssH}px` }}
          role="img"
          aria-label={`The picture with ${zones.length} zones placed on it`}
          aria-busy={bitmap === null}
        />
        {scale > 0 &&
          corners.map((p, i) => (
            <button
              key={CORNER_NAMES[i]}
              type="button"
              class="review-handle"
              style={{ left: `${p[0] * scale}px`, top: `${p[1] * scale}px` }}
              aria-label={`${CORNER_NAMES[i]} corner of the page`}
              title={`${CORNER_NAMES[i]} corner: ${Math.round(p[0])}, ${Math.round(p[1])}. Drag it, or use the arrow keys.`}
              data-corner={i}
              onPointerDown={(e) => {
                e.preventDefault();
                e.currentTarget.focus();
                e.currentTarget.setPointerCapture(e.pointerId);
                dragging.current = i;
              }}
              onPointerMove={(e) => {
                if (dragging.current === i) move(i, fromEvent(e));
              }}
              onPointerUp={(e) => {
                if (dragging.current === i) move(i, fromEvent(e));
                dragging.current = null;
              }}
              onPointerCancel={() => {
                dragging.current = null;
              }}
              onKeyDown={(e) => {
                const step = (e.shiftKey ? 10 : 1) / scale;
                const d: Record<string, Point> = {
                  ArrowLeft: [-step, 0],
                  ArrowRight: [step, 0],
                  ArrowUp: [0, -step],
                  ArrowDown: [0, step],
                };
                const by = d[e.key];
                if (by === undefined) return;
                e.preventDefault();
                move(i, [p[0] + by[0], p[1] + by[1]]);
              }}
            />
          ))}
      </div>
    </div>
  );
}
