// The reference picture, decoded once into ImageBitmaps: the full size plus smaller
// copies (1/2, 1/4, …) so that a zoomed-out view of a 12-megapixel picture draws from
// a bitmap near its on-screen size instead of resampling the whole picture every frame.

import type { Size } from "./geometry";

export interface PictureLevel {
  /** Bitmap pixels per image pixel: 1 for the full picture, 0.5, 0.25, … */
  readonly scale: number;
  readonly bitmap: ImageBitmap;
}

const SMALLEST_LEVEL_SIDE = 256;

export class Picture {
  private levels: PictureLevel[];
  private closed = false;

  private constructor(
    /** The picture's size in image pixels (the model's, which zones refer to). */
    readonly size: Size,
    full: ImageBitmap,
  ) {
    this.levels = [{ scale: Math.min(full.width / size.width, full.height / size.height), bitmap: full }];
  }

  /** Decodes `blob` (EXIF orientation applied) at `size` image pixels, then builds the
   *  smaller copies in the background, calling `onLevel` as each becomes ready. */
  static async decode(blob: Blob, size: Size, onLevel: () => void = () => undefined): Promise<Picture> {
    const full = await createImageBitmap(blob, { imageOrientation: "from-image" });
    const picture = new Picture(size, full);
    void picture.buildLevels(onLevel);
    return picture;
  }

  /** From bitmaps already decoded: the full picture first, then any smaller copies. */
  static fromBitmaps(size: Size, full: ImageBitmap, ...smaller: ImageBitmap[]): Picture {
    const picture = new Picture(size, full);
    for (const bitmap of smaller) picture.levels.push({ scale: bitmap.width / size.width, bitmap });
    return picture;
  }

  /** The smallest bitmap that still has at least one bitmap pixel per device pixel at
   *  `deviceScale` (device pixels per image pixel). */
  levelFor(deviceScale: number): PictureLevel {
    let best = this.levels[0] as PictureLevel;
    for (const level of this.levels) if (level.scale >= deviceScale && level.scale < best.scale) best = level;
    return best;
  }

  get levelCount(): number {
    return this.levels.length;
  }

  close(): void {
    this.closed = true;
    for (const level of this.levels) level.bitmap.close();
    this.levels = [];
  }

  private async buildLevels(onLevel: () => void): Promise<void> {
    const full = this.levels[0];
    if (full === undefined) return;
    let source: ImageBitmap = full.bitmap;
    while (Math.min(source.width, source.height) / 2 >= SMALLEST_LEVEL_SIDE) {
      // Halve the previous level: cheap, and the repeated box filter looks clean.
      const next = await createImageBitmap(source, {
        resizeWidth: Math.round(source.width / 2),
        resizeHeight: Math.round(source.height / 2),
        resizeQuality: "medium",
      });
      if (this.closed) {
        next.close();
        return;
      }
      this.levels.push({ scale: next.width / this.size.width, bitmap: next });
      source = next;
      onLevel();
    }
  }
}
