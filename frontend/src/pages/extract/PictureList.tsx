import { Fragment } from "preact";
import { useState } from "preact/hooks";
import { extractionArchiveUrl, extractionOverlayUrl } from "../../api/client";
import { routes } from "../../app/router";
import { FilePreview } from "../../components/FilePreview";
import { formatBytes, formatCount, formatDuration } from "../../lib/format";
import { describeRefusalFigures, describeTransform, listFigures } from "./describeTransform";
import type { QueueItem } from "./useExtractQueue";

const STATUS: Record<QueueItem["status"], string> = {
  ready: "Ready",
  uploading: "Uploading…",
  cutting: "Cutting…",
  done: "Done",
  queued: "Sent as a job",
  failed: "Not cut",
};

export function PictureList({ items, onRemove }: { items: readonly QueueItem[]; onRemove: (key: number) => void }) {
  return (
    <ul class="picture-list" aria-label="Pictures">
      {items.map((it) => (
        <li key={it.key} class={`picture-item is-${it.status}`}>
          <PictureThumb item={it} />
          <div class="picture-item-body">
            <div class="picture-item-line">
              <strong class="picture-name">{it.file.name}</strong>
              <span class="muted">{formatBytes(it.file.size)}</span>
              <span class={`badge badge-${it.status}`}>{STATUS[it.status]}</span>
            </div>
            {(it.status === "uploading" || it.status === "cutting") && (
              <progress
                class="progress"
                max={1}
                value={it.status === "cutting" ? undefined : it.progress}
                aria-label={`${it.file.name}: ${STATUS[it.status]}`}
              />
            )}
            {it.status === "done" && it.result && (
              <p class="muted">
                {formatCount(it.result.crops.length, "crop")} in {formatDuration(it.result.duration_ms)} · picture{" "}
                {it.result.source.width}×{it.result.source.height} ·{" "}
                <span class="picture-alignment" title={listFigures(it.result.transform).join("\n") || undefined}>
                  {describeTransform(it.result.transform, it.result.source)}
                </span>
                {overlayPages(it) > 1 && (
                  <>
                    {" "}
                    · <OverlayPages id={it.result.id} pages={overlayPages(it)} filename={it.file.name} />
                  </>
                )}
                {hasArchive(it) && (
                  <>
                    {" "}
                    ·{" "}
                    <a href={extractionArchiveUrl(it.result.id)} download>
                      Download ZIP
                    </a>
                  </>
                )}
              </p>
            )}
            {it.status === "queued" && (
              <p class="muted">
                {it.jobNote !== undefined && <>{it.jobNote} </>}
                Its pages are cut in the background: follow it under <a href="#jobs">Jobs</a>.
              </p>
            )}
            {it.status === "failed" && (
              <p class="picture-error" role="alert">
                {it.error}
              </p>
            )}
            {it.status === "failed" && <RefusalFigures figures={it.errorFigures} />}
            {it.status === "failed" && it.reviewId !== undefined && (
              <p class="picture-review">
                Kept for review: place its zones by hand.{" "}
                <a href={routes.review(it.reviewId)} aria-label={`Review ${it.file.name}`}>
                  Review
                </a>
              </p>
            )}
          </div>
          {(it.status === "ready" || it.status === "failed" || it.status === "done" || it.status === "queued") && (
            <button
              type="button"
              class="icon-button"
              aria-label={`Remove ${it.file.name} from the list`}
              onClick={() => onRemove(it.key)}
            >
              ×
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

/**
 * A stored extraction shows the server's overlay (the picture with its zones outlined where they
 * were cut), opening in full in a new tab; otherwise, or if the overlay fails to load (410 once
 * the picture is no longer kept), the local preview.
 */
function PictureThumb({ item }: { item: QueueItem }) {
  const [failedId, setFailedId] = useState<string | null>(null);
  const id = item.status === "done" && item.result?.stored ? item.result.id : undefined;
  if (id === undefined || failedId === id) {
    return (
      <span class="thumb thumb-s">
        <FilePreview file={item.file} src={item.preview} alt="" />
      </span>
    );
  }
  const url = extractionOverlayUrl(id);
  const pages = overlayPages(item);
  return (
    <a class="thumb thumb-s" href={url} target="_blank" rel="noopener">
      <img
        src={url}
        alt={`Where the zones were cut in ${item.file.name}${pages > 1 ? `, page 1 of ${pages}` : ""}`}
        onError={() => setFailedId(id)}
      />
    </a>
  );
}

/** How many pages of the picture the server can draw its cut zones on: one, or each page
 *  of a document cut with a model of several pages. */
function overlayPages(it: QueueItem): number {
  if (it.status !== "done" || !it.result?.stored) return 0;
  return Math.max(1, it.result.transform.pages?.length ?? 1);
}

/** Links to where the zones were cut on each page (the thumbnail shows page 1). */
function OverlayPages({ id, pages, filename }: { id: string; pages: number; filename: string }) {
  return (
    <span class="overlay-pages">
      where cut: page{" "}
      {Array.from({ length: pages }, (_, i) => i + 1).map((page) => (
        <Fragment key={page}>
          {page > 1 && ", "}
          <a
            href={extractionOverlayUrl(id, page)}
            target="_blank"
            rel="noopener"
            aria-label={`Where the zones were cut in ${filename}, page ${page}`}
          >
            {page}
          </a>
        </Fragment>
      ))}
    </span>
  );
}

/** Whether the server keeps crops of this picture to offer as one ZIP. */
export function hasArchive(it: QueueItem): it is QueueItem & { result: NonNullable<QueueItem["result"]> } {
  return it.status === "done" && it.result !== undefined && it.result.stored && it.result.crops.length > 0;
}

/** The key measurements behind a refusal, under its explanation; all of them on hover. */
function RefusalFigures({ figures }: { figures: QueueItem["errorFigures"] }) {
  const summary = describeRefusalFigures(figures);
  if (summary === null) return null;
  return (
    <p class="muted picture-figures" title={listFigures(figures ?? {}).join("\n")}>
      Measured: {summary}
    </p>
  );
}
