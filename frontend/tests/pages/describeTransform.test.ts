import { describe, expect, it } from "vitest";
import {
  describeRefusalFigures,
  describeTransform,
  invert3,
  listFigures,
  localShape,
  type Transform,
} from "../../src/pages/extract/describeTransform";

const picture = { width: 800, height: 600 };

/** Reference -> picture: scale `s`, turn `degrees` (clockwise on screen), then shift. */
function similarity(s: number, degrees: number, tx: number, ty: number, mirror = false): number[][] {
  const t = (degrees * Math.PI) / 180;
  const f = mirror ? -1 : 1;
  return [
    [s * Math.cos(t), -s * Math.sin(t) * f, tx],
    [s * Math.sin(t), s * Math.cos(t) * f, ty],
    [0, 0, 1],
  ];
}

const features = (matrix: number[][], figures: Record<string, number> = {}): Transform => ({
  method: "features",
  matrix,
  ...figures,
});

describe("describeTransform", () => {
  it("says how much a scaled picture was scaled", () => {
    const m = [
      [0.5, 0, 0],
      [0, 0.5, 0],
      [0, 0, 1],
    ];
    expect(describeTransform({ method: "scale", matrix: m }, picture)).toBe("scaled ×0.50");
  });

  it("tells the two directions apart when they differ", () => {
    const m = [
      [0.5, 0, 0],
      [0, 0.49, 0],
      [0, 0, 1],
    ];
    expect(describeTransform({ method: "scale", matrix: m }, picture)).toBe("scaled ×0.50 across, ×0.49 down");
  });

  it("says when the picture has the reference's size", () => {
    const m = similarity(1, 0, 0, 0);
    expect(describeTransform({ method: "scale", matrix: m }, picture)).toBe("same size as the reference, not scaled");
  });

  it("describes a feature alignment: rotation, scale and the figures", () => {
    const m = similarity(1.1, 178, 900, 700);
    const text = describeTransform(
      features(m, { inliers: 412, inlier_ratio: 0.8, reprojection_error_px: 0.41, similarity: 0.9, scale: 1.1 }),
      picture,
    );
    expect(text).toBe("aligned by features · rotated 178° clockwise · scale 1.10 · 412 matching points · error 0.4 px");
  });

  it("names the direction of a turn and leaves out a turn too small to see", () => {
    expect(describeTransform(features(similarity(1, -30, 0, 400)), picture)).toBe(
      "aligned by features · rotated 30° anticlockwise · scale 1.00",
    );
    expect(describeTransform(features(similarity(0.75, 2.34, 10, 5)), picture)).toBe(
      "aligned by features · rotated 2.3° clockwise · scale 0.75",
    );
    expect(describeTransform(features(similarity(2, 0.01, 10, 5)), picture)).toBe("aligned by features · scale 2.00");
    expect(describeTransform(features(similarity(1, 180, 800, 600)), picture)).toBe(
      "aligned by features · rotated 180° · scale 1.00",
    );
  });

  it("says when the reference appears mirrored", () => {
    expect(describeTransform(features(similarity(1, 0, 800, 0, true)), picture)).toContain("mirrored");
  });

  it("ignores figures that are not numbers", () => {
    const t = features(similarity(1, 0, 0, 0));
    const odd: Transform = { ...t, inliers: "many", reprojection_error_px: Number.NaN };
    expect(describeTransform(odd, picture)).toBe("aligned by features · scale 1.00");
  });

  it("still says something for a degenerate matrix", () => {
    const zero = [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 1],
    ];
    expect(describeTransform(features(zero, { inliers: 3 }), picture)).toBe("aligned by features · 3 matching points");
  });
});

describe("localShape", () => {
  it("measures a perspective transform where it lands at the picture's centre", () => {
    const m = [
      [0.9, 0.2, 40],
      [-0.15, 1.05, 30],
      [0.0002, 0.0001, 1],
    ];
    const shape = localShape(m, picture.width, picture.height);
    expect(shape).not.toBeNull();
    // Finite differences at the reference point that lands at the centre.
    const inv = invert3(m);
    expect(inv).not.toBeNull();
    const apply = (h: number[][], x: number, y: number): [number, number] => {
      const row = (r: number) => (h[r]?.[0] ?? 0) * x + (h[r]?.[1] ?? 0) * y + (h[r]?.[2] ?? 0);
      return [row(0) / row(2), row(1) / row(2)];
    };
    const [x, y] = apply(inv ?? [], 400, 300);
    const eps = 1e-3;
    const [ax, ay] = apply(m, x + eps, y);
    const [bx, by] = apply(m, x - eps, y);
    const [cx, cy] = apply(m, x, y + eps);
    const [dx, dy] = apply(m, x, y - eps);
    const j = [
      [(ax - bx) / (2 * eps), (cx - dx) / (2 * eps)],
      [(ay - by) / (2 * eps), (cy - dy) / (2 * eps)],
    ] as const;
    const det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
    expect(shape?.scale).toBeCloseTo(Math.sqrt(det), 5);
    const rotation = (Math.atan2(j[1][0] - j[0][1], j[0][0] + j[1][1]) * 180) / Math.PI;
    expect(shape?.rotation).toBeCloseTo(rotation, 4);
    expect(shape?.mirrored).toBe(false);
  });

  it("undoes a mirror before measuring the turn", () => {
    const shape = localShape(similarity(1.5, 40, 300, 100, true), picture.width, picture.height);
    expect(shape?.mirrored).toBe(true);
    expect(shape?.scale).toBeCloseTo(1.5, 9);
    expect(shape?.rotation).toBeCloseTo(40, 9);
  });

  it("keeps the turn in (-180, 180]", () => {
    expect(localShape(similarity(1, -180, 0, 0), 10, 10)?.rotation).toBeCloseTo(180, 9);
    expect(localShape(similarity(1, 270, 0, 0), 10, 10)?.rotation).toBeCloseTo(-90, 9);
  });
});

describe("describeRefusalFigures", () => {
  it("picks the key figures of an alignment refusal", () => {
    expect(
      describeRefusalFigures({ inliers: 12, tracked_points: 80, found_ratio: 0.214, similarity: 0.312, coverage: 1 }),
    ).toBe("12 matching points · 21% of landmarks found · similarity 0.31");
  });

  it("falls back on the feature matches when nothing was tracked", () => {
    expect(describeRefusalFigures({ feature_inliers: 1 })).toBe("1 matching point");
  });

  it("has nothing to say without figures", () => {
    expect(describeRefusalFigures(null)).toBeNull();
    expect(describeRefusalFigures(undefined)).toBeNull();
    expect(describeRefusalFigures({ coverage: 0.2 })).toBeNull();
  });
});

describe("listFigures", () => {
  it("lists every number but the matrix", () => {
    expect(listFigures(features(similarity(1, 0, 0, 0), { inliers: 5, similarity: 0.91234 }))).toEqual([
      "inliers 5",
      "similarity 0.912",
    ]);
  });
});
