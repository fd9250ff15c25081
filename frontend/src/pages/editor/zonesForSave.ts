// Between the editor's document and the API's zone lists.

import type { Model, ZoneReplace } from "../../api/types";
import type { Zone, ZoneDoc } from "../../editor/document";
import type { Size } from "../../editor/geometry";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Zones as the editor holds them. */
export function zonesOfModel(model: Model): Zone[] {
  return model.zones.map((z) => ({
    id: z.id,
    name: z.name,
    folder: z.folder,
    page: z.page,
    x: z.x,
    y: z.y,
    width: z.width,
    height: z.height,
  }));
}

/** Every page's size, page 1 first (a picture is one page). */
export function pageSizes(model: Model): Size[] {
  const pages = [...model.image.pages].sort((a, b) => a.page - b.page);
  if (pages.length === 0) return [{ width: model.image.width, height: model.image.height }];
  return pages.map((p) => ({ width: p.width, height: p.height }));
}

/** Where page `page` (from 1) of the reference is fetched. */
export function pageUrl(model: Model, page: number): string {
  return model.image.pages.find((p) => p.page === page)?.url ?? model.image.url;
}

/** The body of PUT /zones: every zone of every page, each with its page. A zone keeps
 *  its id when the server knows it. */
export function zonesForSave(doc: ZoneDoc, serverIds: ReadonlySet<string>): ZoneReplace[] {
  return doc.zones.map((z) => ({
    ...(UUID.test(z.id) && serverIds.has(z.id) ? { id: z.id } : {}),
    name: z.name,
    folder: z.folder,
    page: z.page,
    x: z.x,
    y: z.y,
    width: z.width,
    height: z.height,
  }));
}

/** The editor's ids of the zones sent, mapped to the ids the server answered with
 *  (the answer keeps the order of the request). */
export function idMapping(sent: ZoneDoc, saved: Model): Map<string, string> {
  const map = new Map<string, string>();
  sent.zones.forEach((z, i) => {
    const id = saved.zones[i]?.id;
    if (id !== undefined && id !== z.id) map.set(z.id, id);
  });
  return map;
}

export type ZoneField = "name" | "folder" | "x" | "y" | "width" | "height";

export interface SaveErrors {
  /** Zone id -> field -> message. */
  readonly byZone: ReadonlyMap<string, Partial<Record<ZoneField | "zone", string>>>;
  /** Errors that name no zone. */
  readonly general: readonly string[];
}

export const NO_ERRORS: SaveErrors = { byZone: new Map(), general: [] };

/** Places field errors like `zones[2].folder` next to the zone they concern. */
export function placeErrors(sent: ZoneDoc, errors: readonly { field: string; message: string }[]): SaveErrors {
  const byZone = new Map<string, Partial<Record<ZoneField | "zone", string>>>();
  const general: string[] = [];
  for (const e of errors) {
    const m = /^(?:body\.)?zones\[(\d+)\](?:\.(\w+))?/.exec(e.field);
    const zone = m ? sent.zones[Number(m[1])] : undefined;
    if (m === null || zone === undefined) {
      general.push(e.field && e.field !== "body" ? `${e.field}: ${e.message}` : e.message);
      continue;
    }
    const raw = m[2] ?? "zone";
    const field: ZoneField | "zone" =
      (["name", "folder", "x", "y", "width", "height"] as const).find((f) => f === raw) ?? "zone";
    const entry = byZone.get(zone.id) ?? {};
    entry[field] = entry[field] ? `${entry[field]}; ${e.message}` : e.message;
    byZone.set(zone.id, entry);
  }
  return { byZone, general };
}
