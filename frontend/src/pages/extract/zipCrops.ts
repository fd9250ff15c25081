import type { Crop } from "../../api/types";
import { downloadBlob, zipBytes, type ZipEntry } from "../../lib/zip";

/** Fetches the crops and offers them as one ZIP of `<folder>/<file>` entries. */
export async function downloadCropsZip(crops: readonly Crop[], filename: string): Promise<void> {
  const entries: ZipEntry[] = [];
  for (const crop of crops) {
    if (crop.url === null || crop.path === null) continue;
    const response = await fetch(crop.url);
    if (!response.ok) throw new Error(`${crop.path} could not be downloaded (HTTP ${response.status}).`);
    entries.push({ name: crop.path, data: new Uint8Array(await response.arrayBuffer()) });
  }
  const bytes = zipBytes(entries);
  downloadBlob(new Blob([bytes.buffer as ArrayBuffer], { type: "application/zip" }), filename);
}
