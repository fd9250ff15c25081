// The Samples tab: pictures kept with the model and cut again before every Save. On top,
// what the zones as they are now would change on them; below, the samples themselves,
// added from a file or from a past extraction, and removed.

import { useState } from "preact/hooks";
import { listExtractions } from "../../api/client";
import { explain } from "../../api/problem";
import type { ExtractionPage, Model } from "../../api/types";
import { confirmAction } from "../../components/confirm";
import { DropZone } from "../../components/DropZone";
import { Notice } from "../../components/Notice";
import { formatWhen } from "../../lib/format";
import { SampleDiffList } from "./SampleDiffList";
import type { Samples } from "./useSamples";
import type { SampleCheckState } from "./useSampleCheck";

/** The most samples a model keeps (the API's limit). */
export const MAX_SAMPLES = 20;

export function SamplesPanel({
  model,
  samples,
  check,
  dirty,
}: {
  model: Model;
  samples: Samples;
  check: SampleCheckState;
  dirty: boolean;
}) {
  const full = samples.items.length >= MAX_SAMPLES;
  return (
    <section class="samples-panel" aria-label="Samples">
      <h2 class="panel-title">
        Samples <span class="count">{samples.items.length}</span>
      </h2>
      <p class="hint">
        Pictures kept with the model. Before you save, they are cut with your zones and with the saved ones, and what
        changes shows here.
      </p>
      {samples.items.length > 0 && <CheckSection check={check} dirty={dirty} />}
      {samples.failure !== null && <Notice kind="error">{samples.failure}</Notice>}
      {samples.busy !== null && <Notice kind="info">{samples.busy}</Notice>}
      {samples.items.length > 0 && (
        <ul class="sample-list">
          {samples.items.map((sample) => (
            <li key={sample.id} class="sample-row">
              <img class="sample-thumb" src={sample.thumbnail_url} alt="" />
              <span class="sample-row-text">
                <span class="sample-row-name" title={sample.filename}>
                  {sample.filename}
                </span>
                <span class="muted">
                  added {formatWhen(sample.created_at)} · version {sample.model_version}
                </span>
              </span>
              <button
                type="button"
                class="button button-small"
                aria-label={`Remove sample ${sample.filename}`}
                disabled={samples.busy !== null}
                onClick={async () => {
                  const ok = await confirmAction({
                    title: "Remove this sample?",
                    message: `${sample.filename} will no longer be cut before every save.`,
                    confirmLabel: "Remove sample",
                    danger: true,
                  });
                  if (ok) await samples.remove(sample);
                }}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {full ? (
        <p class="hint">A model keeps {MAX_SAMPLES} samples at most: remove one to add another.</p>
      ) : (
        <>
          <DropZone
            label="Add a sample"
            compact
            disabled={samples.busy !== null}
            onFiles={(files) => {
              const file = files[0];
              if (file !== undefined) void samples.add(file);
            }}
          >
            Drop a picture the model cuts, or click to choose one
          </DropZone>
          <PastExtractions model={model} samples={samples} />
        </>
      )}
    </section>
  );
}

function CheckSection({ check, dirty }: { check: SampleCheckState; dirty: boolean }) {
  if (!dirty) {
    return <p class="sample-check-note">The zones are as saved: nothing to compare.</p>;
  }
  return (
    <div class="sample-check" aria-live="polite">
      <h3>If you save now</h3>
      {check.status === "failed" && <Notice kind="info">{check.error}</Notice>}
      {check.status === "checking" && check.result === null && <p class="muted">Cutting the samples…</p>}
      {check.result !== null && <SampleDiffList check={check.result} pending={check.status === "checking"} />}
    </div>
  );
}

function PastExtractions({ model, samples }: { model: Model; samples: Samples }) {
  const [page, setPage] = useState<ExtractionPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = (): void => {
    if (page !== null) return;
    listExtractions(model.id, 10).then(setPage, (e: unknown) => setError(explain(e)));
  };
  return (
    <details class="past-extractions" onToggle={(e) => e.currentTarget.open && load()}>
      <summary>From a past extraction</summary>
      {error !== null && <Notice kind="error">{error}</Notice>}
      {page === null && error === null && <p class="muted">Loading…</p>}
      {page !== null && page.items.length === 0 && <p class="muted">Nothing was cut with this model yet.</p>}
      {page !== null && page.items.length > 0 && (
        <ul class="extraction-picks">
          {page.items.map((record) => (
            <li key={record.id}>
              <span class="extraction-pick-name" title={record.source.filename}>
                {record.source.filename}
              </span>
              <span class="muted">{formatWhen(record.created_at)}</span>
              <button
                type="button"
                class="button button-small"
                aria-label={`Add ${record.source.filename} as a sample`}
                disabled={samples.busy !== null}
                onClick={() => void samples.addFromExtraction(record.id, record.source.filename)}
              >
                Add
              </button>
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}
