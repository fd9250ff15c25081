// Extract: pick a model, drop or pick pictures, watch each one upload and get cut,
// and see the crops appear under their folders.

import { useEffect, useMemo, useState } from "preact/hooks";
import { extractionArchiveUrl, getModel, listModels } from "../../api/client";
import { explain } from "../../api/problem";
import type { Crop } from "../../api/types";
import { routes } from "../../app/router";
import { useAccess } from "../../app/session";
import { DropZone } from "../../components/DropZone";
import { Notice } from "../../components/Notice";
import { formatCount } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { CropsByFolder } from "./CropsByFolder";
import { JobList } from "./JobList";
import { hasArchive, PictureList } from "./PictureList";
import { useExtractQueue } from "./useExtractQueue";

/** Starts one download per URL, as if each link were clicked; the server names the files. */
async function downloadEach(urls: readonly string[]): Promise<void> {
  for (const [i, url] of urls.entries()) {
    // A pause between downloads, or the browser may drop all but the first.
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 300));
    const a = document.createElement("a");
    a.href = url;
    a.download = "";
    document.body.append(a);
    a.click();
    a.remove();
  }
}

export function ExtractPage({ initialModelId }: { initialModelId: string | null }) {
  const { canEdit } = useAccess();
  const models = useAsync(() => listModels({ limit: 200 }), []);
  const [modelId, setModelId] = useState<string>(initialModelId ?? "");
  const [asJob, setAsJob] = useState(false);
  const [jobsStarted, setJobsStarted] = useState(0);
  const queue = useExtractQueue();

  // Without a choice yet, take the only model, or the one in the address.
  useEffect(() => {
    const items = models.data?.items ?? [];
    if (modelId === "" && items.length > 0) setModelId(initialModelId ?? items[0]?.id ?? "");
  }, [models.data, initialModelId, modelId]);

  const model = models.data?.items.find((m) => m.id === modelId);
  const ready = queue.items.filter((it) => it.status === "ready").length;
  const failed = queue.items.filter((it) => it.status === "failed").length;
  const crops = useMemo<Crop[]>(() => queue.items.flatMap((it) => it.result?.crops ?? []), [queue.items]);
  // The server keeps one ZIP per extraction: "all" offers each of them.
  const archives = queue.items.filter(hasArchive).map((it) => extractionArchiveUrl(it.result.id));
  // Folder colours as in the editor: the model's folders in zone order first.
  const detail = useAsync(() => (modelId === "" ? Promise.resolve(null) : getModel(modelId)), [modelId]);
  const folderOrder = useMemo(
    () => [...new Set([...(detail.data?.zones ?? []).map((z) => z.folder), ...crops.map((c) => c.folder)])],
    [crops, detail.data],
  );

  const run = (): void => {
    if (modelId === "") return;
    void queue.run(modelId, {
      modelPages: Math.max(1, model?.image.pages.length ?? 1),
      asJob,
      onJob: () => setJobsStarted((n) => n + 1),
    });
  };

  return (
    <main class="page extract-page">
      <div class="page-head">
        <h1>Extract</h1>
      </div>
      <p class="lead">Cut pictures with a model. Each zone's crop is filed in the zone's folder.</p>
      {models.error !== undefined && <Notice kind="error">{explain(models.error)}</Notice>}
      <form
        class="extract-form card"
        onSubmit={(e) => {
          e.preventDefault();
          run();
        }}
      >
        <div class="field extract-model">
          <label for="extract-model">Model</label>
          <select id="extract-model" value={modelId} onChange={(e) => setModelId(e.currentTarget.value)} required>
            <option value="" disabled>
              {models.loading ? "Loading models…" : "Choose a model"}
            </option>
            {(models.data?.items ?? []).map((m) => (
              <option key={m.id} value={m.id}>
                {m.name} ({formatCount(m.zone_count, "zone")})
              </option>
            ))}
          </select>
          {model && (
            <span class="hint">
              {model.image.pages.length > 1
                ? `${model.image.pages.length}-page reference`
                : `${model.image.width}×${model.image.height} reference`}{" "}
              · alignment: {model.alignment} ·{" "}
              <a href={routes.editor(model.id)}>{canEdit ? "edit zones" : "see zones"}</a>
            </span>
          )}
        </div>
        <DropZone
          label="Picture"
          multiple
          onFiles={(files, how) => {
            queue.add(files);
            // A drop is a decision: cut at once. Picking waits for "Extract".
            if (how === "drop") run();
          }}
        >
          Drop pictures here to cut them at once, or click to choose some. A PDF or TIFF of many pages is cut page by
          page in the background.
        </DropZone>
        <label class="check extract-as-job">
          <input type="checkbox" checked={asJob} onChange={(e) => setAsJob(e.currentTarget.checked)} />
          Run as a job
          <span class="hint">cut in the background, so you may leave this page; follow it under Jobs</span>
        </label>
        <div class="form-actions">
          <span class="muted">
            {ready > 0 ? `${formatCount(ready, "picture")} ready` : queue.busy ? "Working…" : ""}
          </span>
          {failed > 0 && (
            <button type="button" class="button" onClick={queue.retryFailed}>
              Try the failed again
            </button>
          )}
          <button type="submit" class="button button-primary" disabled={modelId === "" || ready === 0}>
            Extract
          </button>
        </div>
      </form>
      {model && model.zone_count === 0 && (
        <Notice kind="info">
          This model has no zones yet, so there is nothing to cut.{" "}
          {canEdit ? (
            <>
              <a href={routes.editor(model.id)}>Draw its zones</a> first.
            </>
          ) : (
            "Ask an editor to draw its zones first."
          )}
        </Notice>
      )}
      <JobList started={jobsStarted} />
      {queue.items.length > 0 && (
        <div class="extract-results">
          <section class="extract-pictures" aria-label="Pictures">
            <div class="section-head">
              <h2>Pictures</h2>
              <button type="button" class="link-button" onClick={queue.clearFinished} disabled={queue.busy}>
                Clear finished
              </button>
            </div>
            <PictureList items={queue.items} onRemove={queue.remove} />
          </section>
          <section class="extract-crops" aria-label="Crops">
            <div class="section-head">
              <h2>Crops</h2>
              {archives.length === 1 && (
                <a class="button button-small" href={archives[0]} download>
                  Download all as ZIP
                </a>
              )}
              {archives.length > 1 && (
                <button
                  type="button"
                  class="button button-small"
                  title="One ZIP per picture"
                  onClick={() => void downloadEach(archives)}
                >
                  Download all as {archives.length} ZIPs
                </button>
              )}
            </div>
            {crops.length === 0 ? (
              <p class="muted">The crops appear here, under their folders.</p>
            ) : (
              <CropsByFolder crops={crops} folderOrder={folderOrder} />
            )}
          </section>
        </div>
      )}
    </main>
  );
}
