// Models: the list, "New model" from a dropped or picked picture, "Import…" from another
// tool's zones or a Zonecut export, rename and delete (all but the list for editors and
// admins; an operator sees the list).

import { useState } from "preact/hooks";
import { deleteModel, listModels } from "../../api/client";
import { explain } from "../../api/problem";
import type { ModelSummary } from "../../api/types";
import { useAccess } from "../../app/session";
import { confirmAction } from "../../components/confirm";
import { DropZone } from "../../components/DropZone";
import { Notice } from "../../components/Notice";
import { formatCount } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { ImportDialog } from "./ImportDialog";
import { ModelCard } from "./ModelCard";
import { NewModelDialog } from "./NewModelDialog";
import { RenameDialog } from "./RenameDialog";

export function ModelsPage() {
  const { canEdit } = useAccess();
  const [query, setQuery] = useState("");
  const models = useAsync(() => listModels({ q: query.trim() }), [query]);
  const [creating, setCreating] = useState<{ file: File | null } | null>(null);
  const [renaming, setRenaming] = useState<ModelSummary | null>(null);
  const [importing, setImporting] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);

  const remove = async (model: ModelSummary): Promise<void> => {
    const ok = await confirmAction({
      title: "Delete model?",
      message: `“${model.name}” and its ${formatCount(model.zone_count, "zone")} will be deleted. Crops already filed stay in their folders.`,
      confirmLabel: "Delete",
      danger: true,
    });
    if (!ok) return;
    try {
      await deleteModel(model.id, model.version);
      setActionError(null);
    } catch (e) {
      setActionError(e);
    }
    models.reload();
  };

  const items = models.data?.items ?? [];
  return (
    <main class="page">
      <div class="page-head">
        <h1>Models</h1>
        <div class="page-head-actions">
          <input
            type="search"
            class="search"
            placeholder="Search models"
            aria-label="Search models"
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
          {canEdit && (
            <>
              <button type="button" class="button" onClick={() => setImporting(true)}>
                Import…
              </button>
              <button type="button" class="button button-primary" onClick={() => setCreating({ file: null })}>
                New model
              </button>
            </>
          )}
        </div>
      </div>
      <p class="lead">
        A model is an example picture with named zones. Every picture extracted with it is cut along the zones, and each
        crop is filed in its zone's folder.
        {!canEdit && " Your role lets you look at models and extract with them; an editor can change them."}
      </p>
      {actionError !== null && <Notice kind="error">{explain(actionError)}</Notice>}
      {models.error !== undefined && <Notice kind="error">{explain(models.error)}</Notice>}
      {canEdit && (
        <DropZone label="Start from a picture" compact onFiles={(files) => setCreating({ file: files[0] ?? null })}>
          Drop an example picture here to start a new model
        </DropZone>
      )}
      {models.loading && models.data === undefined ? (
        <p class="muted">Loading models…</p>
      ) : items.length === 0 ? (
        <p class="empty">
          {query
            ? "No model matches your search."
            : canEdit
              ? "No models yet. Create one from an example picture."
              : "No models yet. An editor can create one from an example picture."}
        </p>
      ) : (
        <ul class="model-grid" aria-label="Models">
          {items.map((m) => (
            <ModelCard
              key={m.id}
              model={m}
              {...(canEdit ? { onRename: () => setRenaming(m), onDelete: () => void remove(m) } : {})}
            />
          ))}
        </ul>
      )}
      {canEdit && (
        <>
          <NewModelDialog
            open={creating !== null}
            initialFile={creating?.file ?? null}
            onClose={() => setCreating(null)}
          />
          <RenameDialog model={renaming} onClose={() => setRenaming(null)} onRenamed={models.reload} />
          <ImportDialog open={importing} onClose={() => setImporting(false)} onImported={models.reload} />
        </>
      )}
    </main>
  );
}
