// Pictures by dropping or picking. The file input carries the accessible name, so a
// person with a screen reader and a browser test both find it by its label.

import type { ComponentChildren } from "preact";
import { useId, useState } from "preact/hooks";

export interface DropZoneProps {
  /** The input's accessible name, e.g. "Picture". */
  readonly label: string;
  readonly multiple?: boolean;
  readonly accept?: string;
  readonly disabled?: boolean;
  readonly onFiles: (files: File[], how: "drop" | "pick") => void;
  readonly children?: ComponentChildren;
  readonly compact?: boolean;
}

/** Pictures, and the documents accepted wherever a picture is (PDF, multi-page TIFF). */
export const PICTURE_TYPES = "image/*,application/pdf,.pdf,.heic,.heif,.tif,.tiff";

export function DropZone({
  label,
  multiple,
  accept = PICTURE_TYPES,
  disabled,
  onFiles,
  children,
  compact,
}: DropZoneProps) {
  const id = useId();
  const [over, setOver] = useState(false);
  return (
    <div
      class={`dropzone${over ? " dropzone-over" : ""}${compact ? " dropzone-compact" : ""}${disabled ? " is-disabled" : ""}`}
      onDragOver={(e) => {
        if (disabled) return;
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        if (disabled) return;
        const files = [...(e.dataTransfer?.files ?? [])];
        if (files.length > 0) onFiles(multiple ? files : files.slice(0, 1), "drop");
      }}
    >
      <label for={id} class="dropzone-label">
        <span class="dropzone-title">{label}</span>
        <span class="dropzone-hint">{children ?? "Drop a picture here, or click to choose one"}</span>
      </label>
      <input
        id={id}
        class="visually-hidden"
        type="file"
        aria-label={label}
        accept={accept}
        multiple={multiple}
        disabled={disabled}
        onChange={(e) => {
          const input = e.currentTarget;
          const files = [...(input.files ?? [])];
          input.value = "";
          if (files.length > 0) onFiles(files, "pick");
        }}
      />
    </div>
  );
}
