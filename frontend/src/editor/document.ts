// The zone document: the size of every page of the reference and an ordered list of
// zones in image pixels, each on one page. Every function here returns a new document
// and leaves its input untouched, so the history can keep old documents as they are.

import { clampGroupDelta, clampRect, type Rect, type Size } from "./geometry";

export interface Zone extends Rect {
  /** Local identity inside the editor; the server's id when the zone came from it. */
  readonly id: string;
  readonly name: string;
  readonly folder: string;
  /** The page of the reference it is drawn on, from 1. */
  readonly page: number;
}

export interface ZoneDoc {
  /** Every page's size in image pixels, page 1 first: one for a picture. */
  readonly pages: readonly Size[];
  /** Drawing order: later zones are drawn, and hit, on top. */
  readonly zones: readonly Zone[];
}

/** One page as the canvas shows it: its size and its zones, in drawing order. */
export interface PageView {
  readonly page: number;
  readonly image: Size;
  readonly zones: readonly Zone[];
}

export type ZonePatch = Partial<Omit<Zone, "id">>;

/** A document over `pages` (one size for a one-page reference). A zone's page is kept
 *  to the pages there are, and its rectangle to its page. */
export function createDoc(pages: Size | readonly Size[], zones: readonly Zone[] = []): ZoneDoc {
  const sizes: readonly Size[] = isSizeList(pages) ? pages : [pages];
  if (sizes.length === 0) throw new Error("a document has at least one page");
  const doc: ZoneDoc = { pages: sizes, zones: [] };
  return { pages: sizes, zones: zones.map((z) => fitted(doc, z)) };
}

function isSizeList(pages: Size | readonly Size[]): pages is readonly Size[] {
  return Array.isArray(pages);
}

export const pageCount = (doc: ZoneDoc): number => doc.pages.length;

/** `page` kept to the pages the document has. */
export function clampPage(doc: ZoneDoc, page: number): number {
  return Math.min(doc.pages.length, Math.max(1, Math.round(page) || 1));
}

export function pageSize(doc: ZoneDoc, page: number): Size {
  return doc.pages[clampPage(doc, page) - 1] as Size;
}

/** The page's size and the zones on it. */
export function pageView(doc: ZoneDoc, page: number): PageView {
  const p = clampPage(doc, page);
  return { page: p, image: pageSize(doc, p), zones: doc.zones.filter((z) => z.page === p) };
}

/** How many zones each page holds, page 1 first. */
export function zoneCounts(doc: ZoneDoc): number[] {
  const counts = doc.pages.map(() => 0);
  for (const z of doc.zones) counts[z.page - 1] = (counts[z.page - 1] ?? 0) + 1;
  return counts;
}

/** The pages on which `a` and `b` differ (a zone added, removed or changed there; a zone
 *  moved between pages counts for both), in page order. */
export function changedPages(a: ZoneDoc, b: ZoneDoc): number[] {
  if (a === b) return [];
  const pages = new Set<number>();
  const before = new Map(a.zones.map((z) => [z.id, z]));
  for (const z of b.zones) {
    const old = before.get(z.id);
    before.delete(z.id);
    if (old === z || (old !== undefined && zonesEqual(old, z))) continue;
    pages.add(z.page);
    if (old !== undefined) pages.add(old.page);
  }
  for (const gone of before.values()) pages.add(gone.page);
  return [...pages].sort((x, y) => x - y);
}

/** A zone made valid for the document: on one of its pages, whole pixels, inside it. */
function fitted(doc: ZoneDoc, zone: Zone): Zone {
  const page = clampPage(doc, zone.page);
  return { ...zone, page, ...clampRect(zone, pageSize(doc, page)) };
}

export function findZone(doc: ZoneDoc, id: string): Zone | undefined {
  return doc.zones.find((z) => z.id === id);
}

export function addZone(doc: ZoneDoc, zone: Zone): ZoneDoc {
  return { ...doc, zones: [...doc.zones, fitted(doc, zone)] };
}

/** Changes one zone. Geometry is made valid (whole pixels, inside its page). */
export function updateZone(doc: ZoneDoc, id: string, patch: ZonePatch): ZoneDoc {
  let changed = false;
  const zones = doc.zones.map((z) => {
    if (z.id !== id) return z;
    const next = fitted(doc, { ...z, ...patch });
    if (zonesEqual(z, next)) return z;
    changed = true;
    return next;
  });
  return changed ? { ...doc, zones } : doc;
}

/** Replaces the rectangles of several zones at once (a move or resize gesture). */
export function setRects(doc: ZoneDoc, rects: ReadonlyMap<string, Rect>): ZoneDoc {
  let changed = false;
  const zones = doc.zones.map((z) => {
    const r = rects.get(z.id);
    if (r === undefined) return z;
    const c = clampRect(r, pageSize(doc, z.page));
    if (c.x === z.x && c.y === z.y && c.width === z.width && c.height === z.height) return z;
    changed = true;
    return { ...z, ...c };
  });
  return changed ? { ...doc, zones } : doc;
}

export function removeZones(doc: ZoneDoc, ids: readonly string[]): ZoneDoc {
  if (ids.length === 0) return doc;
  const gone = new Set(ids);
  const zones = doc.zones.filter((z) => !gone.has(z.id));
  return zones.length === doc.zones.length ? doc : { ...doc, zones };
}

/** Moves the given zones together by (dx, dy), as far as their pages allow. */
export function moveZones(doc: ZoneDoc, ids: readonly string[], dx: number, dy: number): ZoneDoc {
  const wanted = new Set(ids);
  const moving = doc.zones.filter((z) => wanted.has(z.id));
  // Each page bounds its own zones; the group goes as far as the tightest page lets it.
  const d = { dx: Math.round(dx), dy: Math.round(dy) };
  for (const page of new Set(moving.map((z) => z.page))) {
    const onPage = moving.filter((z) => z.page === page);
    const p = clampGroupDelta(onPage, d.dx, d.dy, pageSize(doc, page));
    d.dx = p.dx;
    d.dy = p.dy;
  }
  if (moving.length === 0 || (d.dx === 0 && d.dy === 0)) return doc;
  const rects = new Map<string, Rect>(
    moving.map((z) => [z.id, { x: z.x + d.dx, y: z.y + d.dy, width: z.width, height: z.height }]),
  );
  return setRects(doc, rects);
}

/** A name not yet used in the document (names are unique regardless of case). */
export function uniqueName(doc: ZoneDoc, base: string): string {
  const taken = new Set(doc.zones.map((z) => z.name.toLowerCase()));
  if (!taken.has(base.toLowerCase())) return base;
  const stem = base.replace(/-\d+$/, "");
  for (let n = 2; ; n++) {
    const candidate = `${stem}-${n}`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}

/** The next default name for a new zone: zone-1, zone-2, … */
export function nextZoneName(doc: ZoneDoc): string {
  const taken = new Set(doc.zones.map((z) => z.name.toLowerCase()));
  for (let n = 1; ; n++) {
    const candidate = `zone-${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** Copies of the given zones, offset by `offset` image pixels (kept inside their page)
 *  and renamed so names stay unique. Returns the new document and the copies' ids. */
export function duplicateZones(
  doc: ZoneDoc,
  ids: readonly string[],
  newId: () => string,
  offset = 10,
): { doc: ZoneDoc; ids: string[] } {
  let next = doc;
  const created: string[] = [];
  for (const id of ids) {
    const z = findZone(doc, id);
    if (z === undefined) continue;
    const copy: Zone = {
      ...z,
      id: newId(),
      name: uniqueName(next, `${z.name}-copy`),
      x: z.x + offset,
      y: z.y + offset,
    };
    next = addZone(next, copy);
    created.push(copy.id);
  }
  return { doc: next, ids: created };
}

/** Folders in first-use order, for colours and suggestions. */
export function foldersOf(doc: ZoneDoc): string[] {
  const seen = new Set<string>();
  for (const z of doc.zones) if (z.folder !== "") seen.add(z.folder);
  return [...seen];
}

export function zonesEqual(a: Zone, b: Zone): boolean {
  return (
    a.id === b.id &&
    a.name === b.name &&
    a.folder === b.folder &&
    a.page === b.page &&
    a.x === b.x &&
    a.y === b.y &&
    a.width === b.width &&
    a.height === b.height
  );
}

/** Same zones in the same order, ignoring ids (which the server may reassign). */
export function sameContent(a: ZoneDoc, b: ZoneDoc): boolean {
  if (a.zones.length !== b.zones.length) return false;
  return a.zones.every((z, i) => {
    const o = b.zones[i];
    return (
      o !== undefined &&
      z.name === o.name &&
      z.folder === o.folder &&
      z.page === o.page &&
      z.x === o.x &&
      z.y === o.y &&
      z.width === o.width &&
      z.height === o.height
    );
  });
}

/** The document with zone ids replaced where `ids` maps them. */
export function renameIds(doc: ZoneDoc, ids: ReadonlyMap<string, string>): ZoneDoc {
  if (!doc.zones.some((z) => ids.has(z.id))) return doc;
  return { ...doc, zones: doc.zones.map((z) => ({ ...z, id: ids.get(z.id) ?? z.id })) };
}
