// A plane-to-plane projective map (homography) from four point pairs, and its use on
// points: how the review page turns the model's reference rectangle, placed by four
// corners in a picture, into where every zone lands in that picture.

export type Point = readonly [number, number];
/** Row-major 3×3: x' = (m00·x + m01·y + m02) / (m20·x + m21·y + m22), y' likewise. */
export type Matrix3 = readonly [
  readonly [number, number, number],
  readonly [number, number, number],
  readonly [number, number, number],
];
export type Quad = readonly [Point, Point, Point, Point];

/** Solves A·x = b (n×n) by Gaussian elimination with partial pivoting; null when singular. */
function solve(a: number[][], b: number[]): number[] | null {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i] as number]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) {
      if (Math.abs((m[r] as number[])[col] as number) > Math.abs((m[pivot] as number[])[col] as number)) pivot = r;
    }
    const p = m[pivot] as number[];
    if (Math.abs(p[col] as number) < 1e-12) return null;
    [m[col], m[pivot]] = [p, m[col] as number[]];
    const row = m[col] as number[];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const other = m[r] as number[];
      const f = (other[col] as number) / (row[col] as number);
      if (f === 0) continue;
      for (let c = col; c <= n; c++) other[c] = (other[c] as number) - f * (row[c] as number);
    }
  }
  return m.map((row, i) => (row[n] as number) / (row[i] as number));
}

/** The homography taking each `from[i]` to `to[i]`; null when the points are degenerate
 *  (three of them on a line). */
export function homographyFromPoints(from: Quad, to: Quad): Matrix3 | null {
  const a: number[][] = [];
  const b: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i] as Point;
    const [u, v] = to[i] as Point;
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y]);
    b.push(u);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y]);
    b.push(v);
  }
  const h = solve(a, b);
  if (h === null || h.some((v) => !Number.isFinite(v))) return null;
  const [h0, h1, h2, h3, h4, h5, h6, h7] = h as [number, number, number, number, number, number, number, number];
  return [
    [h0, h1, h2],
    [h3, h4, h5],
    [h6, h7, 1],
  ];
}

/** `p` through `m`. */
export function applyHomography(m: Matrix3, p: Point): Point {
  const [x, y] = p;
  const w = m[2][0] * x + m[2][1] * y + m[2][2];
  return [(m[0][0] * x + m[0][1] * y + m[0][2]) / w, (m[1][0] * x + m[1][1] * y + m[1][2]) / w];
}

/** A matrix as the API sends it (number[][]), if it is a usable 3×3. */
export function asMatrix3(value: readonly (readonly number[])[] | null | undefined): Matrix3 | null {
  if (!value || value.length !== 3 || value.some((row) => row.length !== 3 || row.some((v) => !Number.isFinite(v)))) {
    return null;
  }
  const [r0, r1, r2] = value as [number[], number[], number[]];
  return [
    [r0[0] as number, r0[1] as number, r0[2] as number],
    [r1[0] as number, r1[1] as number, r1[2] as number],
    [r2[0] as number, r2[1] as number, r2[2] as number],
  ];
}

/** A w×h rectangle's corners: top-left, top-right, bottom-right, bottom-left. */
export function rectCorners(x: number, y: number, width: number, height: number): Quad {
  return [
    [x, y],
    [x + width, y],
    [x + width, y + height],
    [x, y + height],
  ];
}

/** Whether the four corners make a convex quadrilateral turning clockwise on screen
 *  (y pointing down), as the API asks of a placement. */
export function isConvexClockwise(q: Quad): boolean {
  for (let i = 0; i < 4; i++) {
    const [ax, ay] = q[i] as Point;
    const [bx, by] = q[(i + 1) % 4] as Point;
    const [cx, cy] = q[(i + 2) % 4] as Point;
    const cross = (bx - ax) * (cy - by) - (by - ay) * (cx - bx);
    if (cross <= 0) return false;
  }
  return true;
}
