// "Import…": a model from another tool's zones (a VIA project, a Label Studio export, a
// COCO or CVAT file, a Tabula template) and the picture they were drawn on, or from a
// Zonecut export alone; then what the import renamed, clipped or skipped.

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { importModel } from "../../api/client";
import { ApiError, explain } from "../../api/problem";
import type { ModelImported } from "../../api/types";
import { navigate, routes } from "../../app/router";
import { Dialog } from "../../components/Dialog";
import { DropZone } from "../../components/DropZone";
import { Field } from "../../components/Field";
import { FilePreview } from "../../components/FilePreview";
import { Notice } from "../../components/Notice";
import { formatCount } from "../../lib/format";
import { FORMAT_NAMES, MAX_SNIFFED_BYTES, ZONE_FILE_TYPES, isZonecutExport, reportHasNews } from "./importFile";

/** The fields an error names next to their control; the others are listed with it. */
const PLACED_FIELDS = new Set(["file", "image", "name"]);

export function ImportDialog({
  open,
  onClose,
  onImported,
}: {
  open: boolean;
  onClose: () => void;
  onImported: () => void;
}) {
  const [file, setFile] = useState<File | null>(null);
  const [isExport, setIsExport] = useState(false);
  const [image, setImage] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [imported, setImported] = useState<ModelImported | null>(null);

  useEffect(() => {
    if (!open) return;
    setFile(null);
    setIsExport(false);
    setImage(null);
    setName("");
    setProgress(null);
    setError(null);
    setImported(null);
  }, [open]);

  const chooseFile = (picked: File | null): void => {
    setFile(picked);
    setIsExport(false);
    setError(null);
    if (picked === null || picked.size > MAX_SNIFFED_BYTES) return;
    void picked.text().then(
      (text) => setIsExport(isZonecutExport(text)),
      () => setIsExport(false),
    );
  };

  // A chosen file replaces its drop zone: keep the focus on what stands in its place.
  const otherFile = useRef<HTMLButtonElement>(null);
  const otherImage = useRef<HTMLButtonElement>(null);
  useEffect(() => void (file !== null && otherFile.current?.focus()), [file]);
  useEffect(() => void (image !== null && otherImage.current?.focus()), [image]);

  const preview = useMemo(() => (image ? URL.createObjectURL(image) : null), [image]);
  useEffect(() => () => (preview ? URL.revokeObjectURL(preview) : undefined), [preview]);

  const fieldErrors = error instanceof ApiError ? error.fieldErrors : [];
  const fieldError = (field: string): string | undefined => fieldErrors.find((f) => f.field === field)?.message;
  const otherErrors = fieldErrors.filter((f) => !PLACED_FIELDS.has(f.field));
  const busy = progress !== null;
  const ready = file !== null && (isExport || image !== null);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (file === null || !ready) return;
    setError(null);
    setProgress(0);
    try {
      const model = await importModel(
        { file, image: isExport ? undefined : (image ?? undefined), name },
        { onProgress: setProgress },
      );
      setImported(model);
      onImported();
    } catch (err) {
      setError(err);
    } finally {
      setProgress(null);
    }
  };

  if (imported !== null) {
    return (
      <Dialog open={open} title="Model imported" onClose={onClose} wide>
        <ImportReportView model={imported} />
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose}>
            Close
          </button>
          <button
            type="button"
            class="button button-primary"
            autoFocus
            onClick={() => {
              onClose();
              void navigate(routes.editor(imported.id));
            }}
          >
            Open in the editor
          </button>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog open={open} title="Import a model" onClose={() => !busy && onClose()} wide>
      <form class="form" onSubmit={submit}>
        <p class="muted">
          Bring zones drawn in another tool: a VIA project, a Label Studio JSON export, a COCO JSON or CVAT for images
          XML file, or a Tabula template — with the picture they were drawn on. A Zonecut export comes alone.
        </p>
        <div class="import-grid">
          <div class="stack">
            {file === null ? (
              <DropZone label="Zones file" accept={ZONE_FILE_TYPES} onFiles={(files) => chooseFile(files[0] ?? null)}>
                The file with the zones (.json or .xml). Drop it here, or click to choose.
              </DropZone>
            ) : (
              <div class="import-chosen">
                <span class="import-chosen-kind">Zones file</span>
                <span class="import-chosen-name">{file.name}</span>
                <button
                  ref={otherFile}
                  type="button"
                  class="link-button"
                  onClick={() => chooseFile(null)}
                  disabled={busy}
                >
                  Choose another zones file
                </button>
              </div>
            )}
            {fieldError("file") && <p class="field-error">{fieldError("file")}</p>}
          </div>
          <div class="stack">
            {isExport ? (
              <p class="import-chosen muted">A Zonecut export holds its own picture: none is needed.</p>
            ) : image === null || preview === null ? (
              <DropZone label="Reference picture" onFiles={(files) => setImage(files[0] ?? null)}>
                The picture the zones were drawn on — the PDF, for a Tabula template.
              </DropZone>
            ) : (
              <figure class="new-model-preview import-preview">
                <FilePreview file={image} src={preview} alt="The chosen reference picture" />
                <figcaption>
                  {image.name}{" "}
                  <button
                    ref={otherImage}
                    type="button"
                    class="link-button"
                    onClick={() => setImage(null)}
                    disabled={busy}
                  >
                    Choose another picture
                  </button>
                </figcaption>
              </figure>
            )}
            {fieldError("image") && <p class="field-error">{fieldError("image")}</p>}
          </div>
        </div>
        <Field
          label="Model name (optional)"
          hint="Left empty: the project's name in the file, or the picture's."
          error={fieldError("name")}
        >
          {(control) => (
            <input {...control} value={name} maxLength={200} onInput={(e) => setName(e.currentTarget.value)} />
          )}
        </Field>
        {error !== null && (
          <Notice kind="error">
            {explain(error)}
            {otherErrors.length > 0 && (
              <ul class="field-error-list">
                {otherErrors.map((f) => (
                  <li key={f.field + f.message}>
                    {f.field}: {f.message}
                  </li>
                ))}
              </ul>
            )}
          </Notice>
        )}
        {busy && <progress class="progress" max={1} value={progress ?? 0} aria-label="Uploading the files" />}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy || !ready}>
            {busy ? "Importing…" : "Import"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** What an import made of the file: the zones made, what was renamed, cut back to the
 *  picture or skipped, and why. */
export function ImportReportView({ model }: { model: ModelImported }) {
  const report = model.import_report;
  const source = FORMAT_NAMES[report.format];
  return (
    <div class="import-report">
      <Notice kind="success">
        “{model.name}” was made with {formatCount(model.zones.length, "zone")} from the {source}
        {report.picture ? ` (its picture “${report.picture}”)` : ""}.
        {report.label_source ? ` Zone names come from the ${report.label_source}.` : ""}
      </Notice>
      {!reportHasNews(report) && <p>Every rectangle of the file became a zone as it was.</p>}
      {report.renamed.length > 0 && (
        <section aria-label="Renamed">
          <h3>Renamed</h3>
          <ul>
            {report.renamed.map((r, i) => (
              <li key={i}>
                {r.field === "folder" ? "Folder" : "Name"} <q>{r.from || "(no label)"}</q> → <q>{r.to}</q>: {r.reason}
              </li>
            ))}
          </ul>
        </section>
      )}
      {report.clipped.length > 0 && (
        <section aria-label="Cut back to the picture">
          <h3>Cut back to the picture</h3>
          <ul>
            {report.clipped.map((c, i) => (
              <li key={i}>
                <q>{c.zone}</q>: {c.reason}
              </li>
            ))}
          </ul>
        </section>
      )}
      {report.skipped.length > 0 && (
        <section aria-label="Skipped">
          <h3>Skipped</h3>
          <ul>
            {report.skipped.map((s, i) => (
              <li key={i}>
                <q>{s.label || "(no label)"}</q>: {s.reason}
              </li>
            ))}
          </ul>
        </section>
      )}
      {report.notes.length > 0 && (
        <section aria-label="Notes">
          <h3>Notes</h3>
          <ul>
            {report.notes.map((note, i) => (
              <li key={i}>{note}</li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
