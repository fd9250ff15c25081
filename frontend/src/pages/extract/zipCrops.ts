import { fetchFile } from "../../api/http";
import { explain } from "../../api/problem";
import type { Crop } from "../../api/types";
import { downloadBlob, zipBytes, type ZipEntry } from "../../lib/zip";

/** Fetches the crops and offers them as one ZIP of `<folder>/<file>` entries. */
export async function downloadCropsZip(crops: readonly Crop[], filename: string): Promise<void> {
  const entries: ZipEntry[] = [];
  for (const crop of crops) {
    if (crop.url === null || crop.path === null) continue;
    let blob: Blob;
    try {
      blob = await fetchFile(crop.url);
    } catch (e) {
      throw new Error(`${crop.path} could not be downloaded. ${explain(e)}`);
    }
    entries.push({ name: crop.path, data: new Uint8Array(await blob.arrayBuffer()) });
  }
  const bytes = zipBytes(entries);
  downloadBlob(new Blob([bytes.buffer as ArrayBuffer], { type: "application/zip" }), filename);
}
