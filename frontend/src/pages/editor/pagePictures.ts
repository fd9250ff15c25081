// The reference's pages as decoded pictures, the last few kept: going back to a page
// just seen shows it at once instead of fetching and decoding it again, while a
// document of fifty pages never holds fifty decoded bitmaps.

/** What the cache needs of a picture: a way to free it. */
export interface Closable {
  close(): void;
}

export const PAGES_KEPT = 3;

export class PagePictures<P extends Closable> {
  /** By address, least recently asked for first. */
  private readonly entries = new Map<string, Promise<P>>();
  private closed = false;

  constructor(
    /** At least 2: the page shown stays while the next one loads. */
    private readonly keep = PAGES_KEPT,
  ) {}

  /** The picture at `url`: `load` makes it the first time, and again once it has left
   *  the last `keep` asked for. */
  get(url: string, load: () => Promise<P>): Promise<P> {
    if (this.closed) return Promise.reject(new Error("the page pictures are closed"));
    let entry = this.entries.get(url);
    if (entry === undefined) {
      const loading = load();
      // A failed load is not kept: asking again tries again.
      loading.catch(() => {
        if (this.entries.get(url) === loading) this.entries.delete(url);
      });
      entry = loading;
    } else {
      this.entries.delete(url);
    }
    this.entries.set(url, entry);
    for (const [oldUrl, old] of this.entries) {
      if (this.entries.size <= this.keep) break;
      this.entries.delete(oldUrl);
      release(old);
    }
    return entry;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Frees every picture, those still loading as they arrive. */
  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) release(entry);
    this.entries.clear();
  }
}

function release(entry: Promise<Closable>): void {
  entry.then(
    (picture) => picture.close(),
    () => undefined,
  );
}
