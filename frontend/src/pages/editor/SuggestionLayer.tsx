// The suggestions shown on the canvas, as buttons the keyboard reaches: Tab moves from
// one to the next in reading order, Enter (or Space) adds the focused one as a zone.
// They lie over the ghosts the canvas draws and let the pointer through to it, where a
// click adds one too.

import { useLayoutEffect, useRef } from "preact/hooks";
import type { EditorSnapshot, ZoneEditor } from "../../editor/editor";
import type { Suggestion } from "../../editor/suggestions";
import { imageRectToScreen } from "../../editor/viewport";

const KIND_NAMES: Record<Suggestion["kind"], string> = {
  box: "box",
  cell: "table cell",
  frame: "frame",
  checkbox: "checkbox",
  underline: "line to write on",
};

export function suggestionLabel(s: Suggestion): string {
  return `Add the suggested ${KIND_NAMES[s.kind]} at ${s.x}, ${s.y}, ${s.width} by ${s.height} pixels`;
}

export function SuggestionLayer({ editor, snap }: { editor: ZoneEditor; snap: EditorSnapshot }) {
  const layer = useRef<HTMLDivElement>(null);
  /** After adding the focused one from the keyboard: the place whose button gets focus. */
  const refocus = useRef<number | null>(null);
  const shown = snap.suggesting ? snap.suggestions : [];

  useLayoutEffect(() => {
    const index = refocus.current;
    if (index === null || layer.current === null) return;
    refocus.current = null;
    const buttons = layer.current.querySelectorAll<HTMLButtonElement>("button");
    const next = buttons[Math.min(index, buttons.length - 1)];
    if (next !== undefined) next.focus();
    else layer.current.parentElement?.querySelector<HTMLElement>(".canvas-host")?.focus();
  }, [shown]);

  if (shown.length === 0) return null;
  const vp = snap.viewport;
  return (
    <div class="suggestion-layer" ref={layer}>
      {shown.map((s, i) => {
        const r = imageRectToScreen(vp, s);
        return (
          <button
            key={`${s.x},${s.y},${s.width},${s.height}`}
            type="button"
            class="suggestion-target"
            aria-label={suggestionLabel(s)}
            style={{ left: `${r.x}px`, top: `${r.y}px`, width: `${r.width}px`, height: `${r.height}px` }}
            onClick={() => {
              // The pointer passes through to the canvas: this is Enter or Space, and
              // the focus goes on to the next suggestion.
              refocus.current = i;
              editor.acceptSuggestions([s]);
            }}
          />
        );
      })}
    </div>
  );
}
