import { describe, expect, it } from "vitest";
import { PagePictures } from "../../src/pages/editor/pagePictures";

class FakePicture {
  closed = false;
  constructor(readonly url: string) {}
  close(): void {
    this.closed = true;
  }
}

/** A cache whose loads are counted. */
function cache(keep = 2) {
  const loads: string[] = [];
  const pictures = new PagePictures<FakePicture>(keep);
  const get = (url: string) =>
    pictures.get(url, () => {
      loads.push(url);
      return Promise.resolve(new FakePicture(url));
    });
  return { pictures, loads, get };
}

describe("PagePictures", () => {
  it("decodes a page once while it is among the last asked for", async () => {
    const { loads, get } = cache();
    const first = await get("p1");
    await get("p2");
    expect(await get("p1")).toBe(first);
    expect(loads).toEqual(["p1", "p2"]);
  });

  it("frees the page asked for longest ago, and decodes it again when asked", async () => {
    const { pictures, loads, get } = cache();
    const p1 = await get("p1");
    const p2 = await get("p2");
    await get("p1"); // p2 is now the oldest
    await get("p3");
    await Promise.resolve();
    expect(p2.closed).toBe(true);
    expect(p1.closed).toBe(false);
    expect(pictures.size).toBe(2);
    await get("p2");
    expect(loads).toEqual(["p1", "p2", "p3", "p2"]);
  });

  it("does not keep a failed load", async () => {
    const pictures = new PagePictures<FakePicture>();
    await expect(pictures.get("p1", () => Promise.reject(new Error("offline")))).rejects.toThrow("offline");
    const again = await pictures.get("p1", () => Promise.resolve(new FakePicture("p1")));
    expect(again.url).toBe("p1");
  });

  it("frees every page when closed, and then refuses", async () => {
    const { pictures, get } = cache(3);
    const p1 = await get("p1");
    const p2 = await get("p2");
    pictures.close();
    await Promise.resolve();
    expect([p1.closed, p2.closed]).toEqual([true, true]);
    await expect(get("p3")).rejects.toThrow();
  });
});
