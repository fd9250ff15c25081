// The selected zone's fields: name, folder and the rectangle, bound both ways.

import { useId } from "preact/hooks";
import type { Zone } from "../../editor/document";
import type { ZoneEditor } from "../../editor/editor";
import { NumberField } from "./NumberField";
import type { ZoneField } from "./zonesForSave";

export function ZoneForm({
  editor,
  zone,
  image,
  errors,
  onEdited,
}: {
  editor: ZoneEditor;
  zone: Zone;
  image: { width: number; height: number };
  errors: Partial<Record<ZoneField | "zone", string>> | undefined;
  onEdited: (field: ZoneField) => void;
}) {
  const nameId = useId();
  const folderId = useId();
  const set = (field: ZoneField, value: string | number): void => {
    editor.updateZone(zone.id, { [field]: value }, field);
    onEdited(field);
  };
  const done = (): void => editor.sealHistory();
  return (
    <form class="zone-form" data-editor-fields aria-label={`Zone ${zone.name}`} onSubmit={(e) => e.preventDefault()}>
      {errors?.zone && <p class="field-error">{errors.zone}</p>}
      <div class="field">
        <label for={nameId}>Name</label>
        <input
          id={nameId}
          value={zone.name}
          maxLength={100}
          autoComplete="off"
          spellcheck={false}
          aria-invalid={errors?.name ? true : undefined}
          onInput={(e) => set("name", e.currentTarget.value)}
          onBlur={done}
        />
        {errors?.name && <span class="field-error">{errors.name}</span>}
      </div>
      <div class="field">
        <label for={folderId}>Folder</label>
        <input
          id={folderId}
          value={zone.folder}
          list="folder-suggestions"
          autoComplete="off"
          spellcheck={false}
          placeholder="e.g. signatures or invoices/totals"
          aria-invalid={errors?.folder ? true : undefined}
          onInput={(e) => set("folder", e.currentTarget.value)}
          onBlur={done}
        />
        {errors?.folder && <span class="field-error">{errors.folder}</span>}
      </div>
      <div class="field-grid">
        <NumberField
          label="X"
          value={zone.x}
          min={0}
          max={image.width - 1}
          error={errors?.x}
          onChange={(v) => set("x", v)}
          onDone={done}
        />
        <NumberField
          label="Y"
          value={zone.y}
          min={0}
          max={image.height - 1}
          error={errors?.y}
          onChange={(v) => set("y", v)}
          onDone={done}
        />
        <NumberField
          label="Width"
          value={zone.width}
          min={1}
          max={image.width}
          error={errors?.width}
          onChange={(v) => set("width", v)}
          onDone={done}
        />
        <NumberField
          label="Height"
          value={zone.height}
          min={1}
          max={image.height}
          error={errors?.height}
          onChange={(v) => set("height", v)}
          onDone={done}
        />
      </div>
      <div class="zone-form-actions">
        <button type="button" class="button button-small" onClick={() => editor.duplicateSelected()}>
          Duplicate
        </button>
        <button type="button" class="button button-small button-quiet-danger" onClick={() => editor.deleteSelected()}>
          Delete zone
        </button>
      </div>
    </form>
  );
}
