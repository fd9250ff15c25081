import { Dialog } from "../../components/Dialog";

/** Someone saved this model after we loaded it: whose zones win? */
export function ConflictDialog({
  open,
  onReload,
  onOverwrite,
  onCancel,
}: {
  open: boolean;
  onReload: () => void;
  onOverwrite: () => void;
  onCancel: () => void;
}) {
  return (
    <Dialog
      open={open}
      title="This model was changed elsewhere"
      onClose={onCancel}
      actions={
        <>
          <button type="button" class="button" onClick={onCancel}>
            Keep editing
          </button>
          <button type="button" class="button" onClick={onReload}>
            Reload theirs
          </button>
          <button type="button" class="button button-danger" onClick={onOverwrite}>
            Overwrite
          </button>
        </>
      }
    >
      <p>Someone saved a newer version of this model after you opened it, so your zones were not saved.</p>
      <ul class="plain-list">
        <li>
          <strong>Reload theirs</strong> throws your unsaved changes away and shows their version.
        </li>
        <li>
          <strong>Overwrite</strong> saves your zones over theirs.
        </li>
      </ul>
    </Dialog>
  );
}
