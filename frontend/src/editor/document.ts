// The zone document: a picture size and an ordered list of zones in image pixels.
// Every function here returns a new document and leaves its input untouched, so the
// history can keep old documents as they are.

import { clampGroupDelta, clampRect, type Rect, type Size } from "./geometry";

export interface Zone extends Rect {
  /** Local identity inside the editor; the server's id when the zone came from it. */
  readonly id: string;
  readonly name: string;
  readonly folder: string;
}

export interface ZoneDoc {
  readonly image: Size;
  /** Drawing order: later zones are drawn, and hit, on top. */
  readonly zones: readonly Zone[];
}

export type ZonePatch = Partial<Omit<Zone, "id">>;

export function createDoc(image: Size, zones: readonly Zone[] = []): ZoneDoc {
  return { image, zones: zones.map((z) => ({ ...z, ...clampRect(z, image) })) };
}

export function findZone(doc: ZoneDoc, id: string): Zone | undefined {
  return doc.zones.find((z) => z.id === id);
}

export function addZone(doc: ZoneDoc, zone: Zone): ZoneDoc {
  return { ...doc, zones: [...doc.zones, { ...zone, ...clampRect(zone, doc.image) }] };
}

/** Changes one zone. Geometry is made valid (whole pixels, inside the picture). */
export function updateZone(doc: ZoneDoc, id: string, patch: ZonePatch): ZoneDoc {
  let changed = false;
  const zones = doc.zones.map((z) => {
    if (z.id !== id) return z;
    const merged = { ...z, ...patch };
    const next = { ...merged, ...clampRect(merged, doc.image) };
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
    const c = clampRect(r, doc.image);
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

/** Moves the given zones together by (dx, dy), as far as the picture allows. */
export function moveZones(doc: ZoneDoc, ids: readonly string[], dx: number, dy: number): ZoneDoc {
  const wanted = new Set(ids);
  const moving = doc.zones.filter((z) => wanted.has(z.id));
  const d = clampGroupDelta(moving, dx, dy, doc.image);
  if (d.dx === 0 && d.dy === 0) return doc;
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

/** Copies of the given zones, offset by `offset` image pixels (kept inside the picture)
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
