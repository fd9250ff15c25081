// What the "Import…" dialog needs to know about the files a person picks, apart from the
// page: which files it takes, whether a file is a Zonecut export (it holds its own
// picture), and the report of an import in a few words.

import type { ImportReport } from "../../api/types";

/** The files the zones come from: other tools' JSON and XML, and Zonecut exports. */
export const ZONE_FILE_TYPES = ".json,.xml,application/json,text/xml,application/xml";

/** The tool each format of the report comes from, as people call it. */
export const FORMAT_NAMES: Readonly<Record<ImportReport["format"], string>> = {
  zonecut: "Zonecut export",
  via: "VIA project",
  "label-studio": "Label Studio export",
  coco: "COCO file",
  cvat: "CVAT for images file",
  tabula: "Tabula template",
};

/** Whether `text` is a Zonecut export (JSON with `zonecut_export`), which carries its
 *  picture, so no reference picture is asked for. */
export function isZonecutExport(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text.replace(/^\uFEFF/, ""));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) && "zonecut_export" in parsed;
  } catch {
    return false;
  }
}

/** Reading a picked file is only worth it for what could be JSON of a sane size. */
export const MAX_SNIFFED_BYTES = 200 * 1024 * 1024;

/** Whether the report has anything a person should look at. */
export function reportHasNews(report: ImportReport): boolean {
  return report.renamed.length + report.clipped.length + report.skipped.length + report.notes.length > 0;
}
