// A whole-number field bound to a value that may also change elsewhere (the canvas).
// While the person types, their text stays as typed; valid numbers apply at once.

import { useEffect, useId, useState } from "preact/hooks";

export function NumberField({
  label,
  value,
  min,
  max,
  onChange,
  onDone,
  error,
}: {
  label: string;
  value: number;
  min?: number;
  max?: number;
  onChange: (value: number) => void;
  onDone?: () => void;
  error?: string | undefined;
}) {
  const id = useId();
  const [draft, setDraft] = useState<string | null>(null);
  useEffect(() => {
    // The value moved under us (a drag, an undo): show it.
    if (draft !== null && Number(draft) !== value) setDraft(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  return (
    <div class="field field-number">
      <label for={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        step={1}
        min={min}
        max={max}
        value={draft ?? String(value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onInput={(e) => {
          const text = e.currentTarget.value;
          setDraft(text);
          const n = Number(text);
          if (text.trim() !== "" && Number.isFinite(n)) onChange(Math.round(n));
        }}
        onBlur={() => {
          setDraft(null);
          onDone?.();
        }}
      />
      {error && (
        <span id={`${id}-error`} class="field-error">
          {error}
        </span>
      )}
    </div>
  );
}
