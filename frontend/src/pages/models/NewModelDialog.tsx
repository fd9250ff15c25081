// "New model": a name and a reference picture, uploaded with progress; then the editor.

import { useEffect, useMemo, useState } from "preact/hooks";
import { createModel } from "../../api/client";
import { ApiError, explain } from "../../api/problem";
import { Dialog } from "../../components/Dialog";
import { DropZone } from "../../components/DropZone";
import { Field } from "../../components/Field";
import { FilePreview } from "../../components/FilePreview";
import { Notice } from "../../components/Notice";
import { navigate, routes } from "../../app/router";

export function nameFromFile(file: File): string {
  const stem = file.name
    .replace(/\.[^.]+$/, "")
    .replace(/[_]+/g, " ")
    .trim();
  return stem === "" ? "New model" : stem.slice(0, 200);
}

export function NewModelDialog({
  open,
  initialFile,
  onClose,
}: {
  open: boolean;
  initialFile: File | null;
  onClose: () => void;
}) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!open) return;
    setFile(initialFile);
    setName(initialFile ? nameFromFile(initialFile) : "");
    setDescription("");
    setError(null);
    setProgress(null);
  }, [open, initialFile]);

  const preview = useMemo(() => (file ? URL.createObjectURL(file) : null), [file]);
  useEffect(() => () => (preview ? URL.revokeObjectURL(preview) : undefined), [preview]);

  const fieldError = (field: string): string | undefined =>
    error instanceof ApiError ? error.fieldErrors.find((f) => f.field === field)?.message : undefined;
  const busy = progress !== null;

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (file === null || name.trim() === "") return;
    setError(null);
    setProgress(0);
    try {
      const model = await createModel({ name: name.trim(), description, image: file }, { onProgress: setProgress });
      onClose();
      void navigate(routes.editor(model.id));
    } catch (err) {
      setError(err);
      setProgress(null);
    }
  };

  return (
    <Dialog open={open} title="New model" onClose={() => !busy && onClose()} wide>
      <form class="form" onSubmit={submit}>
        <div class="new-model-grid">
          <div>
            {preview && file ? (
              <figure class="new-model-preview">
                <FilePreview file={file} src={preview} alt="The chosen reference picture" />
                <figcaption>
                  {file?.name}{" "}
                  <button type="button" class="link-button" onClick={() => setFile(null)} disabled={busy}>
                    Choose another
                  </button>
                </figcaption>
              </figure>
            ) : (
              <DropZone
                label="Reference image"
                onFiles={(files) => {
                  const f = files[0] ?? null;
                  setFile(f);
                  if (f && name.trim() === "") setName(nameFromFile(f));
                }}
              >
                The example picture the zones are drawn on, or a PDF or multi-page TIFF for a form of several pages.
                Drop it here, or click to choose.
              </DropZone>
            )}
            {fieldError("image") && <p class="field-error">{fieldError("image")}</p>}
          </div>
          <div class="stack">
            <Field label="Model name" error={fieldError("name")}>
              {(control) => (
                <input
                  {...control}
                  value={name}
                  required
                  maxLength={200}
                  onInput={(e) => setName(e.currentTarget.value)}
                  autoFocus
                />
              )}
            </Field>
            <Field label="Description (optional)" error={fieldError("description")}>
              {(control) => (
                <textarea
                  {...control}
                  rows={3}
                  value={description}
                  maxLength={5000}
                  onInput={(e) => setDescription(e.currentTarget.value)}
                />
              )}
            </Field>
          </div>
        </div>
        {error !== null && !fieldError("name") && !fieldError("image") && (
          <Notice kind="error">{explain(error)}</Notice>
        )}
        {progress !== null && (
          <progress class="progress" max={1} value={progress} aria-label="Uploading the reference picture" />
        )}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy || file === null || name.trim() === ""}>
            {busy ? "Creating…" : "Create model"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
