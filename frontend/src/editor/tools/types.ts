// What an input tool sees and may do. Tools are small state machines
// (idle -> pointing -> dragging) that never touch the DOM: the editor hands them
// pointer positions in screen pixels and a host to act through, so they can be
// driven the same way from tests.

import type { PageView, Zone, ZoneDoc } from "../document";
import type { Rect, ScreenPoint } from "../geometry";
import type { PrintedLine, Suggestion } from "../suggestions";
import type { Viewport } from "../viewport";

/** How far (CSS pixels) a press must travel before it becomes a drag. */
export const DRAG_THRESHOLD = 3;
/** A drawn zone smaller than this on screen (CSS pixels) on either side was not meant. */
export const MIN_DRAW_SCREEN_SIZE = 4;

export interface PointerInput {
  readonly point: ScreenPoint;
  readonly shiftKey: boolean;
  /** Held: edges do not snap to printed lines. */
  readonly altKey: boolean;
}

export interface ToolHost {
  /** The committed document (the history's present), every page. */
  readonly doc: ZoneDoc;
  /** The page shown, of the committed document: what the pointer can hit and draw on. */
  readonly view: PageView;
  readonly selection: readonly string[];
  readonly viewport: Viewport;
  /** Shows a gesture's provisional document; null goes back to the committed one. */
  preview(doc: ZoneDoc | null): void;
  /** Makes `doc` the new committed document: one undo step. */
  commit(doc: ZoneDoc, selection: readonly string[]): void;
  select(ids: readonly string[]): void;
  setViewport(vp: Viewport): void;
  setCursor(cursor: string): void;
  /** A new zone at `rect` on the page shown, with a fresh id and default name and folder. */
  createZone(rect: Rect): Zone;
  /** The printed lines of the page shown that edges snap to (none for a viewer). */
  readonly snapLines: readonly PrintedLine[];
  /** The suggestions shown on the page shown, none covered by a zone; none while
   *  Suggest is off. */
  readonly suggestions: readonly Suggestion[];
  /** Shows the printed lines edges snapped to, until the next call. */
  setGuides(lines: readonly PrintedLine[]): void;
  /** Shows a lasso's rectangle (image pixels) while it is dragged, or none. */
  setLasso(rect: Rect | null): void;
  /** Adds suggestions as zones of the page shown, named like drawn ones: one undo step,
   *  and the new zones selected. */
  acceptSuggestions(suggestions: readonly Suggestion[]): void;
}

export interface Tool {
  /** The state machine's current state, for the cursor, tests and debugging. */
  readonly state: string;
  pointerDown(host: ToolHost, e: PointerInput): void;
  /** Moves with a button held, and hovering when not. */
  pointerMove(host: ToolHost, e: PointerInput): void;
  pointerUp(host: ToolHost, e: PointerInput): void;
  /** Escape or a lost pointer: abandon the gesture. True if there was one. */
  cancel(host: ToolHost): boolean;
}
