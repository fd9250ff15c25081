import type { ComponentChildren } from "preact";
import type { EditorSnapshot, ZoneEditor } from "../../editor/editor";
import { MAX_ZOOM, MIN_ZOOM } from "../../editor/viewport";
import { Icon, type IconName } from "./icons";

const isMac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform);
const MOD = isMac ? "⌘" : "Ctrl+";

function ToolButton({
  icon,
  label,
  shortcut,
  onClick,
  pressed,
  disabled,
}: {
  icon: IconName;
  label: string;
  shortcut?: string;
  onClick: () => void;
  pressed?: boolean;
  disabled?: boolean;
}) {
  return (
    <button
      type="button"
      class="icon-button"
      aria-label={label}
      title={shortcut ? `${label} (${shortcut})` : label}
      aria-pressed={pressed}
      disabled={disabled}
      onClick={onClick}
    >
      <Icon name={icon} />
    </button>
  );
}

export function Toolbar({
  editor,
  snap,
  status,
  onSave,
  saving,
  suggestStatus,
  readOnly = false,
  beforeSave,
}: {
  editor: ZoneEditor;
  snap: EditorSnapshot;
  status: string;
  onSave: () => void;
  saving: boolean;
  /** What the Suggest toggle has to say: loading, failed, how many there are. */
  suggestStatus: string;
  /** Only the view tools: no drawing, no undo, no Save. */
  readOnly?: boolean;
  /** Shown beside Save: what Save would change on the samples. */
  beforeSave?: ComponentChildren;
}) {
  const zoom = snap.viewport.zoom;
  return (
    <div class="toolbar" role="toolbar" aria-label={readOnly ? "View tools" : "Editor tools"}>
      {!readOnly && (
        <div class="toolbar-group">
          <ToolButton
            icon="select"
            label="Select and draw"
            shortcut="V"
            pressed={snap.tool === "select"}
            onClick={() => editor.setTool("select")}
          />
          <ToolButton
            icon="hand"
            label="Hand"
            shortcut="H, or hold Space"
            pressed={snap.tool === "hand"}
            onClick={() => editor.setTool("hand")}
          />
        </div>
      )}
      <div class="toolbar-group">
        <ToolButton
          icon="zoomOut"
          label="Zoom out"
          shortcut="−"
          disabled={zoom <= MIN_ZOOM}
          onClick={() => editor.zoomOut()}
        />
        <button
          type="button"
          class="zoom-readout"
          title="Zoom to 100 % (1)"
          aria-label={`Zoom ${Math.round(zoom * 100)} %, set to 100 %`}
          onClick={() => editor.zoomTo(1)}
        >
          {Math.round(zoom * 100)} %
        </button>
        <ToolButton
          icon="zoomIn"
          label="Zoom in"
          shortcut="+"
          disabled={zoom >= MAX_ZOOM}
          onClick={() => editor.zoomIn()}
        />
        <ToolButton icon="fit" label="Fit to view" shortcut="0" onClick={() => editor.fit()} />
      </div>
      {!readOnly && (
        <div class="toolbar-group">
          <button
            type="button"
            class="button button-small suggest-toggle"
            aria-pressed={snap.suggesting}
            title="Show the printed boxes and fields found on the page, to add as zones"
            onClick={() => editor.setSuggesting(!snap.suggesting)}
          >
            Suggest
            {snap.suggestions.length > 0 && (
              <span class="count" aria-hidden="true">
                {snap.suggestions.length}
              </span>
            )}
          </button>
          <span class="suggest-status" role="status" aria-live="polite">
            {suggestStatus}
          </span>
        </div>
      )}
      {!readOnly && (
        <div class="toolbar-group">
          <ToolButton
            icon="undo"
            label="Undo"
            shortcut={`${MOD}Z`}
            disabled={!snap.canUndo}
            onClick={() => editor.undo()}
          />
          <ToolButton
            icon="redo"
            label="Redo"
            shortcut={`${MOD}Shift+Z`}
            disabled={!snap.canRedo}
            onClick={() => editor.redo()}
          />
        </div>
      )}
      <div class="toolbar-spacer" />
      {readOnly ? (
        <span class="save-status">Drag to pan, wheel to zoom. Your role may look at the zones, not change them.</span>
      ) : (
        <>
          <span class={`save-status${snap.dirty ? " is-dirty" : ""}`} role="status" aria-live="polite">
            {status}
          </span>
          {beforeSave}
          <button
            type="button"
            class="button button-primary"
            title={`Save (${MOD}S)`}
            onClick={onSave}
            disabled={saving}
          >
            Save
          </button>
        </>
      )}
    </div>
  );
}
