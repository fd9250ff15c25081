import { useEffect, useState } from "preact/hooks";
import { updateModel } from "../../api/client";
import { ApiError, explain } from "../../api/problem";
import type { ModelSummary } from "../../api/types";
import { Dialog } from "../../components/Dialog";
import { Field } from "../../components/Field";
import { Notice } from "../../components/Notice";

export function RenameDialog({
  model,
  onClose,
  onRenamed,
}: {
  model: ModelSummary | null;
  onClose: () => void;
  onRenamed: () => void;
}) {
  const [name, setName] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setName(model?.name ?? "");
    setError(null);
  }, [model]);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (model === null) return;
    setBusy(true);
    try {
      await updateModel(model.id, model.version, { name: name.trim() });
      onRenamed();
      onClose();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const nameError = error instanceof ApiError ? error.fieldErrors.find((f) => f.field === "name")?.message : undefined;

  return (
    <Dialog open={model !== null} title="Rename model" onClose={onClose}>
      <form class="form" onSubmit={submit}>
        <Field label="Model name" error={nameError}>
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
        {error !== null && !nameError && <Notice kind="error">{explain(error)}</Notice>}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy || name.trim() === ""}>
            Rename
          </button>
        </div>
      </form>
    </Dialog>
  );
}
