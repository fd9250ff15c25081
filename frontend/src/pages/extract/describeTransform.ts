// How a picture was aligned with the model, in words a person understands, from the
// extraction record's `transform` (a homography reference -> picture, plus figures).

import type { Extraction, Problem } from "../../api/types";

export type Transform = Extraction["transform"];
type Matrix = readonly (readonly number[])[];

export interface LocalShape {
  /** Picture pixels per reference pixel (square root of the area ratio). */
  readonly scale: number;
  /** Degrees in (-180, 180]; positive is clockwise on screen (y points down). */
  readonly rotation: number;
  /** The reference appears mirrored in the picture. */
  readonly mirrored: boolean;
}

const at = (m: Matrix, r: number, c: number): number => m[r]?.[c] ?? Number.NaN;

/** Where the homography `m` takes the point (x, y). */
function project(m: Matrix, x: number, y: number): [number, number] {
  const w = at(m, 2, 0) * x + at(m, 2, 1) * y + at(m, 2, 2);
  return [(at(m, 0, 0) * x + at(m, 0, 1) * y + at(m, 0, 2)) / w, (at(m, 1, 0) * x + at(m, 1, 1) * y + at(m, 1, 2)) / w];
}

/** The inverse of a 3x3 matrix (adjugate over determinant), or null when singular. */
export function invert3(m: Matrix): number[][] | null {
  const [a, b, c] = [at(m, 0, 0), at(m, 0, 1), at(m, 0, 2)];
  const [d, e, f] = [at(m, 1, 0), at(m, 1, 1), at(m, 1, 2)];
  const [g, h, i] = [at(m, 2, 0), at(m, 2, 1), at(m, 2, 2)];
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) return null;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

/**
 * Scale, rotation and mirroring of the reference -> picture homography `m`, measured
 * where it lands at the centre of the picture (`width` x `height` pixels).
 */
export function localShape(m: Matrix, width: number, height: number): LocalShape | null {
  const inverse = invert3(m);
  if (inverse === null) return null;
  // The reference point that lands at the picture's centre, and the Jacobian there.
  const [x, y] = project(inverse, width / 2, height / 2);
  const w = at(m, 2, 0) * x + at(m, 2, 1) * y + at(m, 2, 2);
  const [u, v] = project(m, x, y);
  const j00 = (at(m, 0, 0) - u * at(m, 2, 0)) / w;
  const j01 = (at(m, 0, 1) - u * at(m, 2, 1)) / w;
  const j10 = (at(m, 1, 0) - v * at(m, 2, 0)) / w;
  const j11 = (at(m, 1, 1) - v * at(m, 2, 1)) / w;
  const det = j00 * j11 - j01 * j10;
  if (![j00, j01, j10, j11, det].every(Number.isFinite)) return null;
  const mirrored = det < 0;
  // The rotation of the nearest similarity (of the nearest flipped one when mirrored).
  const radians = mirrored ? Math.atan2(j10 + j01, j00 - j11) : Math.atan2(j10 - j01, j00 + j11);
  let rotation = (radians * 180) / Math.PI;
  if (rotation <= -180) rotation += 360;
  return { scale: Math.sqrt(Math.abs(det)), rotation, mirrored };
}

function figure(source: Readonly<Record<string, unknown>>, name: string): number | undefined {
  const value = source[name];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

const plural = (n: number, one: string, many: string): string => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

function describeRotation(degrees: number): string | null {
  const abs = Math.abs(degrees);
  const shown = abs < 10 ? Math.round(abs * 10) / 10 : Math.round(abs);
  if (shown === 0) return null;
  if (shown === 180) return "rotated 180°";
  return `rotated ${shown}° ${degrees > 0 ? "clockwise" : "anticlockwise"}`;
}

/**
 * One compact line, e.g. "scaled ×0.50", or "aligned by features · rotated 178° clockwise ·
 * scale 1.10 · 412 matching points · error 0.4 px". `picture` is the picture's size.
 */
export function describeTransform(transform: Transform, picture: { width: number; height: number }): string {
  const m = transform.matrix;
  if (transform.method === "scale") {
    const sx = Math.abs(at(m, 0, 0));
    const sy = Math.abs(at(m, 1, 1));
    if (!Number.isFinite(sx) || !Number.isFinite(sy)) return "scaled to the picture";
    const [x, y] = [sx.toFixed(2), sy.toFixed(2)];
    if (x === y) return x === "1.00" ? "same size as the reference, not scaled" : `scaled ×${x}`;
    return `scaled ×${x} across, ×${y} down`;
  }
  const parts = ["aligned by features"];
  const shape = localShape(m, picture.width, picture.height);
  if (shape !== null) {
    if (shape.mirrored) parts.push("mirrored");
    const rotation = describeRotation(shape.rotation);
    if (rotation !== null) parts.push(rotation);
    parts.push(`scale ${shape.scale.toFixed(2)}`);
  }
  const inliers = figure(transform, "inliers");
  if (inliers !== undefined) parts.push(plural(Math.round(inliers), "matching point", "matching points"));
  const error = figure(transform, "reprojection_error_px");
  if (error !== undefined) parts.push(`error ${error.toFixed(1)} px`);
  return parts.join(" · ");
}

/** Every figure of a transform or refusal, one "name value" per entry, for a tooltip. */
export function listFigures(figures: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(figures)
    .filter((e): e is [string, number] => e[0] !== "matrix" && e[0] !== "method" && typeof e[1] === "number")
    .map(([name, value]) => `${name.replace(/_/g, " ")} ${Number.isInteger(value) ? value : value.toFixed(3)}`);
}

/**
 * The key figures behind an alignment refusal, e.g. "12 matching points · similarity 0.31",
 * or null when there are none worth showing.
 */
export function describeRefusalFigures(figures: Problem["figures"]): string | null {
  if (figures === null || figures === undefined) return null;
  const parts: string[] = [];
  const inliers = figure(figures, "inliers") ?? figure(figures, "feature_inliers");
  if (inliers !== undefined) parts.push(plural(Math.round(inliers), "matching point", "matching points"));
  const found = figure(figures, "found_ratio");
  if (found !== undefined) parts.push(`${Math.round(found * 100)}% of landmarks found`);
  const similarity = figure(figures, "similarity");
  if (similarity !== undefined) parts.push(`similarity ${similarity.toFixed(2)}`);
  return parts.length === 0 ? null : parts.join(" · ");
}
