// Every crop of this session, under its folder.

import type { Crop } from "../../api/types";
import { routes } from "../../app/router";
import { folderColor } from "../../editor/colors";
import { formatBytes, formatCount } from "../../lib/format";

export function groupByFolder(crops: readonly Crop[]): Map<string, Crop[]> {
  const groups = new Map<string, Crop[]>();
  for (const c of crops) {
    const list = groups.get(c.folder) ?? [];
    list.push(c);
    groups.set(c.folder, list);
  }
  return groups;
}

export function CropsByFolder({ crops, folderOrder }: { crops: readonly Crop[]; folderOrder: readonly string[] }) {
  const groups = groupByFolder(crops);
  if (groups.size === 0) return null;
  return (
    <section class="crops" aria-label="Crops by folder">
      {[...groups].map(([folder, list]) => (
        <section key={folder} class="crop-folder" aria-label={`Folder ${folder}`}>
          <h3 class="crop-folder-title">
            <span class="swatch" style={{ background: folderColor(folder, folderOrder) }} />
            <a href={routes.folders(folder)}>{folder}/</a>
            <span class="muted">{formatCount(list.length, "crop")}</span>
          </h3>
          <ul class="crop-grid">
            {list.map((c, i) => (
              <li key={`${c.path ?? c.zone_id}-${i}`} class="crop">
                {c.url ? (
                  <a href={c.url} target="_blank" rel="noopener" class="crop-link" title={c.path ?? ""}>
                    <span class="thumb thumb-m">
                      <img src={c.url} alt={`${c.zone_name} crop`} loading="lazy" />
                    </span>
                    <span class="crop-name">{c.path?.split("/").pop()}</span>
                  </a>
                ) : (
                  <span class="crop-name">{c.zone_name}</span>
                )}
                <span class="muted crop-meta">
                  {c.width}×{c.height} · {formatBytes(c.bytes)}
                </span>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </section>
  );
}
