import type { ModelSummary } from "../../api/types";
import { routes } from "../../app/router";
import { Thumb } from "../../components/Thumb";
import { formatCount, formatExact, formatWhen } from "../../lib/format";

/** A model in the list; without `onRename` and `onDelete` (a role that may not change
 *  models) it offers only opening and extracting. */
export function ModelCard({
  model,
  onRename,
  onDelete,
}: {
  model: ModelSummary;
  onRename?: () => void;
  onDelete?: () => void;
}) {
  return (
    <li class="card model-card">
      <a class="model-card-main" href={routes.editor(model.id)} aria-label={`Open ${model.name}`}>
        <Thumb src={model.image.url} alt="" size="l" />
      </a>
      <div class="model-card-body">
        <h2 class="model-card-title">
          <a href={routes.editor(model.id)}>{model.name}</a>
        </h2>
        <p class="muted">
          {formatCount(model.zone_count, "zone")} ·{" "}
          {model.image.pages.length > 1 && `${formatCount(model.image.pages.length, "page")} · `}
          {model.image.width}×{model.image.height} ·{" "}
          <time dateTime={model.updated_at} title={formatExact(model.updated_at)}>
            updated {formatWhen(model.updated_at)}
          </time>
        </p>
        {model.description && <p class="model-card-description">{model.description}</p>}
      </div>
      <div class="model-card-actions">
        <a class="button button-small" href={routes.extract(model.id)}>
          Extract with it
        </a>
        {onRename !== undefined && (
          <button type="button" class="button button-small" onClick={onRename} aria-label={`Rename ${model.name}`}>
            Rename
          </button>
        )}
        {onDelete !== undefined && (
          <button
            type="button"
            class="button button-small button-quiet-danger"
            onClick={onDelete}
            aria-label={`Delete ${model.name}`}
          >
            Delete
          </button>
        )}
      </div>
    </li>
  );
}
