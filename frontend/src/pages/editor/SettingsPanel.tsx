// The model's own settings: name, description, output format and quality, file names
// and alignment. Saved apart from the zones, with PATCH and If-Match.

import { useEffect, useState } from "preact/hooks";
import { updateModel } from "../../api/client";
import { ApiError, explain } from "../../api/problem";
import type { Alignment, Model, ModelUpdate, OutputFormat } from "../../api/types";
import { Field } from "../../components/Field";
import { Notice } from "../../components/Notice";

interface Form {
  name: string;
  description: string;
  output_format: OutputFormat;
  output_quality: number;
  filename_template: string;
  alignment: Alignment;
}

const formOf = (m: Model): Form => ({
  name: m.name,
  description: m.description,
  output_format: m.output_format,
  output_quality: m.output_quality,
  filename_template: m.filename_template,
  alignment: m.alignment,
});

function changes(from: Form, to: Form): ModelUpdate {
  const out: ModelUpdate = {};
  if (from.name !== to.name) out.name = to.name.trim();
  if (from.description !== to.description) out.description = to.description;
  if (from.output_format !== to.output_format) out.output_format = to.output_format;
  if (from.output_quality !== to.output_quality) out.output_quality = to.output_quality;
  if (from.filename_template !== to.filename_template) out.filename_template = to.filename_template;
  if (from.alignment !== to.alignment) out.alignment = to.alignment;
  return out;
}

export function SettingsPanel({
  model,
  onSaved,
  onDirty,
}: {
  model: Model;
  onSaved: (m: Model) => void;
  onDirty: (dirty: boolean) => void;
}) {
  const [form, setForm] = useState<Form>(() => formOf(model));
  const [base, setBase] = useState<Form>(() => formOf(model));
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  // A newer model from the server (after a zone save, say) without settings edits here.
  useEffect(() => {
    const next = formOf(model);
    setBase(next);
    setForm((current) => (Object.keys(changes(base, current)).length === 0 ? next : current));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [model]);

  const diff = changes(base, form);
  const dirty = Object.keys(diff).length > 0;
  useEffect(() => onDirty(dirty), [dirty, onDirty]);

  const fieldError = (field: keyof Form): string | undefined =>
    error instanceof ApiError ? error.fieldErrors.find((f) => f.field === field)?.message : undefined;
  const set = <K extends keyof Form>(key: K, value: Form[K]): void => {
    setForm((f) => ({ ...f, [key]: value }));
    setSaved(false);
  };

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const m = await updateModel(model.id, model.version, diff);
      setBase(formOf(m));
      setForm(formOf(m));
      onSaved(m);
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const lossy = form.output_format !== "png";
  return (
    <form class="settings-panel form" aria-label="Model settings" onSubmit={submit}>
      <Field label="Model name" error={fieldError("name")}>
        {(c) => (
          <input
            {...c}
            value={form.name}
            maxLength={200}
            required
            onInput={(e) => set("name", e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Description" error={fieldError("description")}>
        {(c) => (
          <textarea
            {...c}
            rows={2}
            value={form.description}
            onInput={(e) => set("description", e.currentTarget.value)}
          />
        )}
      </Field>
      <div class="field-grid">
        <Field label="Output format" error={fieldError("output_format")}>
          {(c) => (
            <select
              {...c}
              value={form.output_format}
              onChange={(e) => set("output_format", e.currentTarget.value as OutputFormat)}
            >
              <option value="png">PNG (lossless)</option>
              <option value="jpeg">JPEG</option>
              <option value="webp">WebP</option>
            </select>
          )}
        </Field>
        <Field
          label="Quality"
          error={fieldError("output_quality")}
          hint={lossy ? "1 (smallest) to 100 (best)" : "PNG is lossless"}
        >
          {(c) => (
            <input
              {...c}
              type="number"
              min={1}
              max={100}
              value={form.output_quality}
              disabled={!lossy}
              onInput={(e) => {
                const n = Number(e.currentTarget.value);
                if (e.currentTarget.value !== "" && Number.isFinite(n)) set("output_quality", Math.round(n));
              }}
            />
          )}
        </Field>
      </div>
      <Field
        label="File names"
        error={fieldError("filename_template")}
        hint={
          <>
            From <code>{"{source}"}</code>, <code>{"{zone}"}</code>, <code>{"{model}"}</code>, <code>{"{date}"}</code>,{" "}
            <code>{"{time}"}</code>, <code>{"{extraction}"}</code>. An existing file is never overwritten.
          </>
        }
      >
        {(c) => (
          <input
            {...c}
            value={form.filename_template}
            spellcheck={false}
            onInput={(e) => set("filename_template", e.currentTarget.value)}
          />
        )}
      </Field>
      <fieldset class="field">
        <legend>Alignment</legend>
        <label class="radio">
          <input
            type="radio"
            name="alignment"
            checked={form.alignment === "scale"}
            onChange={() => set("alignment", "scale")}
          />
          <span>
            <strong>Scale</strong> — pictures are the same page at any size; refuses a different shape.
          </span>
        </label>
        <label class="radio">
          <input
            type="radio"
            name="alignment"
            checked={form.alignment === "features"}
            onChange={() => set("alignment", "features")}
          />
          <span>
            <strong>Features</strong> — find the reference in shifted, rotated or photographed pictures.
          </span>
        </label>
      </fieldset>
      {error !== null && !(error instanceof ApiError && error.fieldErrors.length > 0) && (
        <Notice kind="error">
          {error instanceof ApiError && error.status === 412
            ? "Someone changed this model meanwhile. Reload the page to see their settings."
            : explain(error)}
        </Notice>
      )}
      {saved && !dirty && <Notice kind="success">Settings saved.</Notice>}
      <div class="form-actions">
        <button type="button" class="button" disabled={!dirty || busy} onClick={() => setForm(base)}>
          Revert
        </button>
        <button type="submit" class="button button-primary" disabled={!dirty || busy}>
          Save settings
        </button>
      </div>
    </form>
  );
}

const FORMAT_NAMES: Readonly<Record<OutputFormat, string>> = { png: "PNG (lossless)", jpeg: "JPEG", webp: "WebP" };
const ALIGNMENT_NAMES: Readonly<Record<Alignment, string>> = {
  scale: "Scale — the same page at any size",
  features: "Features — found in shifted, rotated or photographed pictures",
};

/** The settings for a role that may not change them. */
export function SettingsSummary({ model }: { model: Model }) {
  return (
    <dl class="settings-summary">
      <dt>Model name</dt>
      <dd>{model.name}</dd>
      {model.description && (
        <>
          <dt>Description</dt>
          <dd>{model.description}</dd>
        </>
      )}
      <dt>Output format</dt>
      <dd>
        {FORMAT_NAMES[model.output_format]}
        {model.output_format !== "png" && `, quality ${model.output_quality}`}
      </dd>
      <dt>File names</dt>
      <dd>
        <code>{model.filename_template}</code>
      </dd>
      <dt>Alignment</dt>
      <dd>{ALIGNMENT_NAMES[model.alignment]}</dd>
    </dl>
  );
}
