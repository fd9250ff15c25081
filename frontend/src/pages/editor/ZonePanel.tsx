// The list of zones beside the canvas (those of the page shown, for a reference of
// several pages); the selected zone opens its form.

import { folderColor } from "../../editor/colors";
import type { EditorSnapshot, ZoneEditor } from "../../editor/editor";
import type { Zone } from "../../editor/document";
import { ZoneForm } from "./ZoneForm";
import type { SaveErrors, ZoneField } from "./zonesForSave";

const isMac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform);
const MOD = isMac ? "⌘" : "Ctrl";

export function ZonePanel({
  editor,
  snap,
  errors,
  suggestions,
  onEdited,
  readOnly = false,
}: {
  editor: ZoneEditor;
  snap: EditorSnapshot;
  errors: SaveErrors;
  suggestions: readonly string[];
  onEdited: (zoneId: string, field: ZoneField) => void;
  /** The selected zone's values shown, not offered for editing. */
  readOnly?: boolean;
}) {
  const zones = snap.view.zones;
  const paged = snap.pageCount > 1;
  const selected = snap.selection.length === 1 ? zones.find((z) => z.id === snap.selection[0]) : undefined;
  return (
    <section class="zone-panel" aria-label="Zones">
      <h2 class="panel-title">
        {paged ? `Zones on page ${snap.view.page}` : "Zones"} <span class="count">{zones.length}</span>
      </h2>
      {errors.general.length > 0 && (
        <ul class="field-error-list" role="alert">
          {errors.general.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
      {zones.length === 0 ? (
        <p class="empty-small">
          {paged
            ? readOnly
              ? "This page has no zones."
              : "No zones on this page yet. Drag on the picture to draw one."
            : readOnly
              ? "This model has no zones yet."
              : "Drag on the picture to draw the first zone."}
        </p>
      ) : (
        <ul class="zone-list">
          {zones.map((z) => {
            const isSelected = snap.selection.includes(z.id);
            const hasError = errors.byZone.has(z.id);
            return (
              <li key={z.id}>
                <button
                  type="button"
                  class={`zone-row${isSelected ? " is-selected" : ""}${hasError ? " has-error" : ""}`}
                  aria-pressed={isSelected}
                  onClick={(e) =>
                    editor.select(
                      e.shiftKey
                        ? isSelected
                          ? snap.selection.filter((id) => id !== z.id)
                          : [...snap.selection, z.id]
                        : [z.id],
                    )
                  }
                >
                  <span class="swatch" style={{ background: folderColor(z.folder, snap.folders) }} />
                  {/* The name is the visible text: "Zone <name> in <folder> <x>, <y> · <w>×<h>". */}
                  <span class="visually-hidden">Zone </span>
                  <span class="zone-row-name">{z.name || <em>no name</em>}</span>
                  <span class="visually-hidden"> in </span>
                  <span class="zone-row-folder">{z.folder || <em>no folder</em>}</span>
                  <span class="visually-hidden"> </span>
                  <span class="zone-row-geom">
                    {z.x}, {z.y} · {z.width}×{z.height}
                  </span>
                </button>
                {selected?.id === z.id && readOnly && <ZoneFacts zone={z} />}
                {selected?.id === z.id && !readOnly && (
                  <ZoneForm
                    editor={editor}
                    zone={z}
                    image={snap.view.image}
                    errors={errors.byZone.get(z.id)}
                    onEdited={(field) => onEdited(z.id, field)}
                  />
                )}
              </li>
            );
          })}
        </ul>
      )}
      {snap.selection.length > 1 && !readOnly && (
        <div class="multi-actions">
          <span>{snap.selection.length} zones selected</span>
          <button type="button" class="button button-small" onClick={() => editor.duplicateSelected()}>
            Duplicate
          </button>
          <button type="button" class="button button-small button-quiet-danger" onClick={() => editor.deleteSelected()}>
            Delete
          </button>
        </div>
      )}
      <datalist id="folder-suggestions">
        {suggestions.map((f) => (
          <option key={f} value={f} />
        ))}
      </datalist>
      <details class="shortcuts">
        <summary>Keyboard and mouse</summary>
        {readOnly ? (
          <dl>
            <dt>Drag, Space-drag</dt>
            <dd>pan</dd>
            <dt>Wheel, pinch</dt>
            <dd>zoom around the pointer</dd>
            <dt>0, 1</dt>
            <dd>fit, 100 %</dd>
            {paged && <PageKeys />}
          </dl>
        ) : (
          <dl>
            <dt>Drag on the picture</dt>
            <dd>draw a zone</dd>
            <dt>Drag a zone / a handle</dt>
            <dd>move / resize (Shift keeps the axis)</dd>
            <dt>Near a printed line</dt>
            <dd>the edge snaps to it (hold Alt to place it freely)</dd>
            <dt>Suggest, then click or Enter</dt>
            <dd>add a suggested box as a zone (Tab moves between them)</dd>
            <dt>Suggest, then Shift-drag</dt>
            <dd>add every suggestion inside</dd>
            <dt>Wheel, pinch</dt>
            <dd>zoom around the pointer</dd>
            <dt>Space-drag, middle-drag, H</dt>
            <dd>pan</dd>
            <dt>Arrows (Shift)</dt>
            <dd>nudge 1 px (10 px)</dd>
            <dt>Delete</dt>
            <dd>remove</dd>
            <dt>
              {MOD}+Z, {MOD}+Shift+Z
            </dt>
            <dd>undo, redo</dd>
            <dt>
              {MOD}+D, {MOD}+S
            </dt>
            <dd>duplicate, save</dd>
            <dt>0, 1</dt>
            <dd>fit, 100 %</dd>
            {paged && <PageKeys />}
          </dl>
        )}
      </details>
    </section>
  );
}

function PageKeys() {
  return (
    <>
      <dt>PageUp, PageDown ([, ])</dt>
      <dd>previous, next page</dd>
    </>
  );
}

/** A zone's values for a role that may not change them. */
function ZoneFacts({ zone }: { zone: Zone }) {
  return (
    <dl class="zone-facts">
      <dt>Name</dt>
      <dd>{zone.name || <em>no name</em>}</dd>
      <dt>Folder</dt>
      <dd>{zone.folder || <em>no folder</em>}</dd>
      <dt>Position</dt>
      <dd>
        x {zone.x}, y {zone.y}
      </dd>
      <dt>Size</dt>
      <dd>
        {zone.width}×{zone.height} px
      </dd>
    </dl>
  );
}
