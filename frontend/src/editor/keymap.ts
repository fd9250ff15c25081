// Keyboard shortcuts as data: a key press becomes a command name, or nothing.
// Ctrl on Windows and Linux and Cmd on macOS count the same.

export type Command =
  | { readonly kind: "undo" }
  | { readonly kind: "redo" }
  | { readonly kind: "save" }
  | { readonly kind: "duplicate" }
  | { readonly kind: "delete" }
  | { readonly kind: "selectAll" }
  | { readonly kind: "nudge"; readonly dx: number; readonly dy: number }
  | { readonly kind: "escape" }
  | { readonly kind: "zoomIn" }
  | { readonly kind: "zoomOut" }
  | { readonly kind: "zoomFit" }
  | { readonly kind: "zoomActual" }
  | { readonly kind: "tool"; readonly tool: "select" | "hand" }
  /** The previous (-1) or next (1) page of a reference of several. */
  | { readonly kind: "page"; readonly delta: -1 | 1 };

export interface KeyInput {
  readonly key: string;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly shiftKey: boolean;
  readonly altKey: boolean;
}

export const NUDGE = 1;
export const NUDGE_LARGE = 10;

/** Commands that still apply while the focus is in a text field. */
export const WORKS_IN_TEXT_FIELDS: ReadonlySet<Command["kind"]> = new Set(["save"]);

/** The step an arrow key asks for, in pixels: NUDGE, or NUDGE_LARGE with Shift; null for
 *  any other key. Modifiers other than Shift are the caller's to weigh. */
export function arrowStep(e: Pick<KeyInput, "key" | "shiftKey">): { readonly dx: number; readonly dy: number } | null {
  const step = e.shiftKey ? NUDGE_LARGE : NUDGE;
  switch (e.key) {
    case "ArrowLeft":
      return { dx: -step, dy: 0 };
    case "ArrowRight":
      return { dx: step, dy: 0 };
    case "ArrowUp":
      return { dx: 0, dy: -step };
    case "ArrowDown":
      return { dx: 0, dy: step };
    default:
      return null;
  }
}

export function commandForKey(e: KeyInput): Command | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (mod && !e.altKey) {
    if (key === "z") return e.shiftKey ? { kind: "redo" } : { kind: "undo" };
    if (key === "y" && !e.shiftKey) return { kind: "redo" };
    if (key === "s") return { kind: "save" };
    if (key === "d") return { kind: "duplicate" };
    if (key === "a") return { kind: "selectAll" };
    if (key === "0") return { kind: "zoomFit" };
    if (key === "1") return { kind: "zoomActual" };
    if (key === "=" || key === "+") return { kind: "zoomIn" };
    if (key === "-") return { kind: "zoomOut" };
    return null;
  }
  if (mod || e.altKey) return null;
  const nudge = arrowStep(e);
  if (nudge !== null) return { kind: "nudge", ...nudge };
  switch (key) {
    case "Delete":
    case "Backspace":
      return { kind: "delete" };
    case "Escape":
      return { kind: "escape" };
    case "+":
    case "=":
      return { kind: "zoomIn" };
    case "-":
      return { kind: "zoomOut" };
    case "0":
      return { kind: "zoomFit" };
    case "1":
      return { kind: "zoomActual" };
    case "v":
      return { kind: "tool", tool: "select" };
    case "h":
      return { kind: "tool", tool: "hand" };
    case "PageUp":
    case "[":
      return { kind: "page", delta: -1 };
    case "PageDown":
    case "]":
      return { kind: "page", delta: 1 };
    default:
      return null;
  }
}
