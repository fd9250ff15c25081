// The editor's state and commands, free of the DOM: the document history, the page
// shown, the selection, the viewport and the active tool. canvasView.ts attaches it to
// canvases and events; the UI reads snapshots and calls the commands.

import {
  addZone,
  changedPages,
  clampPage,
  createDoc,
  duplicateZones,
  findZone,
  foldersOf,
  moveZones,
  nextZoneName,
  pageView,
  removeZones,
  renameIds,
  updateZone,
  type PageView,
  type Zone,
  type ZoneDoc,
  type ZonePatch,
} from "./document";
import type { Rect, ScreenPoint, Size } from "./geometry";
import { DEFAULT_HISTORY_LIMIT, History } from "./history";
import { hitTest } from "./hitTest";
import type { Command } from "./keymap";
import type { Scene } from "./renderer";
import {
  NO_HINTS,
  readingOrder,
  suggestionAt,
  uncovered,
  type PageHints,
  type PrintedLine,
  type Suggestion,
} from "./suggestions";
import { PanTool } from "./tools/panTool";
import { SelectTool } from "./tools/selectTool";
import type { PointerInput, Tool, ToolHost } from "./tools/types";
import {
  center,
  createViewport,
  screenToImage,
  fitImage,
  resizeViewport,
  steppedZoom,
  zoomAt,
  zoomBy,
  type Viewport,
} from "./viewport";

export type ToolName = "select" | "hand";

/** What the UI shows; a new object whenever anything changed. */
export interface EditorSnapshot {
  /** The document as shown, every page: a gesture's preview while one is under way. */
  readonly doc: ZoneDoc;
  /** The page shown (from 1), its size and its zones, of `doc`. */
  readonly view: PageView;
  readonly pageCount: number;
  readonly selection: readonly string[];
  readonly viewport: Viewport;
  readonly tool: ToolName;
  readonly canUndo: boolean;
  readonly canRedo: boolean;
  /** The document differs from the one last loaded or saved. */
  readonly dirty: boolean;
  readonly folders: readonly string[];
  readonly cursor: string;
  /** Suggestions are shown (the Suggest toggle). */
  readonly suggesting: boolean;
  /** The suggestions of the page shown that no zone covers, in reading order: those
   *  shown while suggesting, and what the toggle offers while not. */
  readonly suggestions: readonly Suggestion[];
}

export interface EditorOptions {
  readonly historyLimit?: number;
  /** Folder for a newly drawn zone; by default the zone's own name. */
  readonly defaultFolder?: (doc: ZoneDoc, name: string) => string;
  /** Look, select, zoom and pan, but change nothing (a role that may not edit). */
  readonly readOnly?: boolean;
}

/** Commands that change the document, refused by a read-only editor. */
const EDITS: ReadonlySet<Command["kind"]> = new Set(["undo", "redo", "delete", "duplicate", "nudge"]);

export interface PointerDownInput extends PointerInput {
  /** Pan instead of using the current tool (middle button, or space held). */
  readonly pan: boolean;
}

/** Wheel deltas to zoom factors: a mouse notch (~100) is about 20 %. */
const WHEEL_ZOOM_SPEED = 0.002;
/** Trackpad pinches arrive as wheel events with ctrlKey and small deltas. */
const PINCH_ZOOM_SPEED = 0.01;

let idCounter = 0;
const localId = (): string => `new-${Date.now().toString(36)}-${(idCounter++).toString(36)}`;

export class ZoneEditor implements ToolHost {
  private history: History<ZoneDoc>;
  private previewDoc: ZoneDoc | null = null;
  /** The page shown, from 1. The selection and the pointer only ever concern it. */
  private shownPage = 1;
  private viewCache: { doc: ZoneDoc; page: number; view: PageView } | null = null;
  private sel: readonly string[] = [];
  private vp: Viewport = createViewport(800, 600);
  private hover: string | null = null;
  private toolName: ToolName = "select";
  private readonly tools: Record<ToolName, Tool> = { select: new SelectTool(), hand: new PanTool() };
  private readonly panTool = new PanTool();
  /** The tool that received the current press, until its release. */
  private gesture: Tool | null = null;
  private cursorValue = "crosshair";
  private fitted = false;
  private listeners = new Set<() => void>();
  private cached: EditorSnapshot | null = null;
  /** What the server found on each page: suggestions and printed lines. */
  private hints = new Map<number, PageHints>();
  private suggestingOn = false;
  private offered: { view: PageView; hints: PageHints; list: Suggestion[] } | null = null;
  private hoverGhost: Suggestion | null = null;
  private guideLines: readonly PrintedLine[] = [];
  private lassoArea: Rect | null = null;

  constructor(
    /** The reference's size, or every page's size for a reference of several. */
    image: Size | readonly Size[],
    zones: readonly Zone[] = [],
    private readonly options: EditorOptions = {},
  ) {
    this.history = new History(createDoc(image, zones), options.historyLimit ?? DEFAULT_HISTORY_LIMIT);
    if (options.readOnly) {
      this.toolName = "hand";
      this.cursorValue = "grab";
    }
  }

  get readOnly(): boolean {
    return this.options.readOnly === true;
  }

  // ----- reading -------------------------------------------------------------------

  get doc(): ZoneDoc {
    return this.history.present;
  }

  get selection(): readonly string[] {
    return this.sel;
  }

  /** The page shown, from 1. */
  get page(): number {
    return this.shownPage;
  }

  get pageCount(): number {
    return this.doc.pages.length;
  }

  /** The page shown, of the committed document. */
  get view(): PageView {
    return this.viewOf(this.doc);
  }

  get viewport(): Viewport {
    return this.vp;
  }

  get shownDoc(): ZoneDoc {
    return this.previewDoc ?? this.history.present;
  }

  get dirty(): boolean {
    return this.history.dirty;
  }

  get canUndo(): boolean {
    return this.history.canUndo;
  }

  get canRedo(): boolean {
    return this.history.canRedo;
  }

  get tool(): ToolName {
    return this.toolName;
  }

  /** The state machine of the gesture under way, or of the current tool. */
  get toolState(): string {
    return (this.gesture ?? this.tools[this.toolName]).state;
  }

  snapshot(): EditorSnapshot {
    if (this.cached === null) {
      const doc = this.shownDoc;
      this.cached = {
        doc,
        view: this.viewOf(doc),
        pageCount: doc.pages.length,
        selection: this.sel,
        viewport: this.vp,
        tool: this.toolName,
        canUndo: this.history.canUndo,
        canRedo: this.history.canRedo,
        dirty: this.history.dirty,
        folders: foldersOf(this.history.present),
        cursor: this.cursorValue,
        suggesting: this.suggestingOn,
        suggestions: this.offeredOn(this.viewOf(doc)),
      };
    }
    return this.cached;
  }

  scene(): Scene {
    const s = this.snapshot();
    return {
      page: s.view,
      selection: s.selection,
      hoverId: this.hover,
      viewport: s.viewport,
      folders: s.folders,
      ghosts: s.suggesting ? s.suggestions : [],
      ghostHover: s.suggesting ? this.hoverGhost : null,
      guides: this.guideLines,
      lasso: this.lassoArea,
    };
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ----- ToolHost --------------------------------------------------------------------

  preview(doc: ZoneDoc | null): void {
    if (this.readOnly) return;
    this.previewDoc = doc;
    this.changed();
  }

  commit(doc: ZoneDoc, selection: readonly string[], coalesce?: string): void {
    if (this.readOnly) {
      this.select(selection);
      return;
    }
    this.previewDoc = null;
    this.history.push(doc, coalesce);
    this.sel = this.onPage(doc, selection);
    this.changed();
  }

  /** Selects zones of the page shown (ids of zones elsewhere are left out). */
  select(ids: readonly string[]): void {
    const next = this.onPage(this.doc, ids);
    if (next.length === this.sel.length && next.every((id, i) => id === this.sel[i])) return;
    this.sel = next;
    this.changed();
  }

  setViewport(vp: Viewport): void {
    if (vp === this.vp) return;
    this.vp = vp;
    this.changed();
  }

  setCursor(cursor: string): void {
    if (cursor === this.cursorValue) return;
    this.cursorValue = cursor;
    this.changed();
  }

  createZone(rect: Rect): Zone {
    return this.newZone(this.doc, rect);
  }

  get snapLines(): readonly PrintedLine[] {
    return this.readOnly ? [] : this.hintsOf(this.shownPage).lines;
  }

  get suggestions(): readonly Suggestion[] {
    return this.suggestingOn ? this.offeredOn(this.view) : [];
  }

  setGuides(lines: readonly PrintedLine[]): void {
    if (lines.length === 0 && this.guideLines.length === 0) return;
    this.guideLines = lines;
    this.changed();
  }

  setLasso(rect: Rect | null): void {
    if (rect === this.lassoArea) return;
    this.lassoArea = rect;
    this.changed();
  }

  acceptSuggestions(suggestions: readonly Suggestion[]): void {
    if (this.readOnly || suggestions.length === 0) return;
    let doc = this.doc;
    const ids: string[] = [];
    for (const s of suggestions) {
      const zone = this.newZone(doc, { x: s.x, y: s.y, width: s.width, height: s.height });
      doc = addZone(doc, zone);
      ids.push(zone.id);
    }
    this.hoverGhost = null;
    this.commit(doc, ids);
  }

  // ----- suggestions ---------------------------------------------------------------------

  /** What the server found on page `page`: its suggestions and printed lines. */
  setHints(page: number, hints: PageHints): void {
    if (this.hints.get(page) === hints) return;
    this.hints.set(page, hints);
    this.changed();
  }

  /** Shows or hides the suggestions (snapping to printed lines works either way). */
  setSuggesting(on: boolean): void {
    if (this.readOnly || on === this.suggestingOn) return;
    this.suggestingOn = on;
    this.hoverGhost = null;
    this.changed();
  }

  get suggesting(): boolean {
    return this.suggestingOn;
  }

  // ----- loading and saving ----------------------------------------------------------

  /** Starts over with a document from the server: clean, no undo steps. The page shown
   *  stays, as long as the reference still has it. */
  load(image: Size | readonly Size[], zones: readonly Zone[]): void {
    const before = this.doc.pages;
    this.history.reset(createDoc(image, zones));
    const after = this.doc.pages;
    const samePages =
      before.length === after.length &&
      before.every((p, i) => p.width === after[i]?.width && p.height === after[i]?.height);
    this.shownPage = clampPage(this.doc, this.shownPage);
    this.previewDoc = null;
    this.sel = this.onPage(this.doc, this.sel);
    this.cancelGesture();
    if (!samePages) this.fitted = false;
    if (!this.fitted) this.fit();
    this.changed();
  }

  /** `doc` (by default the present document) is what the server now has. */
  markSaved(doc: ZoneDoc = this.doc): void {
    this.history.markSaved(doc);
    this.changed();
  }

  /** The server gave saved zones new ids: use them everywhere, undo steps included, and
   *  mark `saved` (as it was sent) as the server's state. Edits made meanwhile stay. */
  adoptSaved(saved: ZoneDoc, ids: ReadonlyMap<string, string>): void {
    const map = this.history.mapStates((doc) => renameIds(doc, ids));
    this.history.markSaved(map(saved));
    if (this.previewDoc !== null) this.previewDoc = renameIds(this.previewDoc, ids);
    this.sel = this.sel.map((id) => ids.get(id) ?? id);
    this.changed();
  }

  // ----- pages -----------------------------------------------------------------------

  /** Shows another page of the reference: the selection and any gesture end, and the
   *  new page is fitted to the view. False when there is no such page or it is shown. */
  showPage(page: number): boolean {
    if (!Number.isInteger(page) || page < 1 || page > this.pageCount || page === this.shownPage) return false;
    this.cancelGesture();
    this.shownPage = page;
    this.sel = [];
    this.hover = null;
    this.hoverGhost = null;
    this.fit();
    this.changed();
    return true;
  }

  // ----- pointer input (screen pixels) -------------------------------------------------

  pointerDown(e: PointerDownInput): void {
    if (this.gesture !== null) this.cancelGesture();
    this.gesture = e.pan ? this.panTool : this.tools[this.toolName];
    this.gesture.pointerDown(this, e);
  }

  pointerMove(e: PointerInput): void {
    const tool = this.gesture ?? this.tools[this.toolName];
    tool.pointerMove(this, e);
    if (this.gesture === null) this.setHover(e.point);
  }

  pointerUp(e: PointerInput): void {
    const tool = this.gesture;
    this.gesture = null;
    tool?.pointerUp(this, e);
    this.setHover(e.point);
  }

  /** Abandons the gesture under way, if any (Escape, lost pointer, second finger). */
  cancelGesture(): boolean {
    const tool = this.gesture;
    if (tool === null) return false;
    const had = tool.cancel(this);
    this.gesture = null;
    return had;
  }

  pointerLeave(): void {
    if (this.hover === null && this.hoverGhost === null) return;
    this.hover = null;
    this.hoverGhost = null;
    this.changed();
  }

  get gestureActive(): boolean {
    return this.gesture !== null;
  }

  /** Shows the page zone `id` is on and selects it (a zone the server refused, say). */
  reveal(id: string): void {
    const zone = findZone(this.doc, id);
    if (zone === undefined) return;
    this.showPage(zone.page);
    this.select([id]);
  }

  // ----- view ------------------------------------------------------------------------

  /** The canvas element changed size (CSS pixels) or the device pixel ratio changed. */
  resize(width: number, height: number, dpr: number): void {
    this.vp = resizeViewport(this.vp, width, height, dpr);
    if (!this.fitted && width > 0 && height > 0) {
      this.fit();
      return;
    }
    this.changed();
  }

  fit(): void {
    this.fitted = this.vp.width > 0 && this.vp.height > 0;
    this.setViewport(fitImage(this.vp, this.view.image));
  }

  zoomTo(zoom: number, anchor: ScreenPoint = center(this.vp)): void {
    this.setViewport(zoomAt(this.vp, zoom, anchor));
  }

  zoomIn(anchor?: ScreenPoint): void {
    this.zoomTo(steppedZoom(this.vp.zoom, 1), anchor);
  }

  zoomOut(anchor?: ScreenPoint): void {
    this.zoomTo(steppedZoom(this.vp.zoom, -1), anchor);
  }

  /** A wheel turn (or a trackpad pinch, which browsers report as a wheel with ctrlKey). */
  wheel(anchor: ScreenPoint, deltaY: number, pinch: boolean): void {
    const speed = pinch ? PINCH_ZOOM_SPEED : WHEEL_ZOOM_SPEED;
    this.setViewport(zoomBy(this.vp, Math.exp(-deltaY * speed), anchor));
  }

  /** A two-finger pinch step: the fingers' distance grew by `factor`, around `anchor`. */
  pinch(anchor: ScreenPoint, factor: number, panX = 0, panY = 0): void {
    const z = zoomBy(this.vp, factor, anchor);
    this.setViewport({ ...z, offsetX: z.offsetX + panX, offsetY: z.offsetY + panY });
  }

  setTool(tool: ToolName): void {
    if (tool === this.toolName || (this.readOnly && tool !== "hand")) return;
    this.cancelGesture();
    this.toolName = tool;
    this.cursorValue = tool === "hand" ? "grab" : "crosshair";
    this.changed();
  }

  // ----- commands ----------------------------------------------------------------------

  /** Runs a keyboard command; false if it did not apply (so the key can do its default). */
  execute(cmd: Command): boolean {
    if (this.readOnly && EDITS.has(cmd.kind)) return false;
    switch (cmd.kind) {
      case "undo":
        return this.undo();
      case "redo":
        return this.redo();
      case "delete":
        return this.deleteSelected();
      case "duplicate":
        return this.duplicateSelected();
      case "selectAll":
        this.select(this.view.zones.map((z) => z.id));
        return true;
      case "nudge":
        return this.nudge(cmd.dx, cmd.dy);
      case "escape":
        if (this.cancelGesture()) return true;
        if (this.sel.length === 0) return false;
        this.select([]);
        return true;
      case "zoomIn":
        this.zoomIn();
        return true;
      case "zoomOut":
        this.zoomOut();
        return true;
      case "zoomFit":
        this.fit();
        return true;
      case "zoomActual":
        this.zoomTo(1);
        return true;
      case "tool":
        this.setTool(cmd.tool);
        return true;
      case "page":
        return this.showPage(this.shownPage + cmd.delta);
      case "save":
        return false; // saving talks to the server: the page handles it
    }
  }

  undo(): boolean {
    return this.step(() => this.history.undo());
  }

  redo(): boolean {
    return this.step(() => this.history.redo());
  }

  deleteSelected(): boolean {
    if (this.readOnly || this.sel.length === 0) return false;
    this.commit(removeZones(this.doc, this.sel), []);
    return true;
  }

  duplicateSelected(): boolean {
    if (this.readOnly || this.sel.length === 0) return false;
    const { doc, ids } = duplicateZones(this.doc, this.sel, localId);
    this.commit(doc, ids);
    return true;
  }

  /** Moves the selection by whole pixels; repeated nudges make one undo step. */
  nudge(dx: number, dy: number): boolean {
    if (this.readOnly || this.sel.length === 0) return false;
    const doc = moveZones(this.doc, this.sel, dx, dy);
    this.commit(doc, this.sel, `nudge:${this.sel.join(",")}`);
    return true;
  }

  /** An edit from the side panel. Typing in one field of one zone makes one undo step. */
  updateZone(id: string, patch: ZonePatch, coalesce?: string): void {
    if (this.readOnly) return;
    const doc = updateZone(this.doc, id, patch);
    if (doc === this.doc) return;
    this.commit(doc, this.sel, coalesce === undefined ? undefined : `${coalesce}:${id}`);
  }

  /** Ends a run of coalesced edits (a field lost focus). */
  sealHistory(): void {
    this.history.seal();
  }

  // ----- internals -----------------------------------------------------------------------

  /** An undo or a redo. A step that changed only other pages shows the page it changed,
   *  so nothing is undone out of sight. */
  private step(move: () => ZoneDoc | undefined): boolean {
    if (this.readOnly) return false;
    if (this.gesture !== null) this.cancelGesture();
    const before = this.doc;
    const doc = move();
    if (doc === undefined) return false;
    this.previewDoc = null;
    const pages = changedPages(before, doc);
    const first = pages[0];
    if (first !== undefined && !pages.includes(this.shownPage)) this.showPage(first);
    this.sel = this.onPage(doc, this.sel);
    this.changed();
    return true;
  }

  /** `ids` without repeats, keeping only zones of `doc` on the page shown. */
  private onPage(doc: ZoneDoc, ids: readonly string[]): string[] {
    return ids.filter((id, i) => ids.indexOf(id) === i && findZone(doc, id)?.page === this.shownPage);
  }

  /** The page shown of `doc`, the same object while neither changes. */
  private viewOf(doc: ZoneDoc): PageView {
    const c = this.viewCache;
    if (c !== null && c.doc === doc && c.page === this.shownPage) return c.view;
    const view = pageView(doc, this.shownPage);
    this.viewCache = { doc, page: this.shownPage, view };
    return view;
  }

  private setHover(point: ScreenPoint): void {
    const hit = hitTest(this.viewOf(this.shownDoc), this.sel, this.vp, point);
    const id = hit.kind === "zone" || hit.kind === "handle" ? hit.zoneId : null;
    const ghost = hit.kind === "empty" ? suggestionAt(this.suggestions, screenToImage(this.vp, point)) : null;
    if (id === this.hover && ghost === this.hoverGhost) return;
    this.hover = id;
    this.hoverGhost = ghost;
    this.changed();
  }

  private newZone(doc: ZoneDoc, rect: Rect): Zone {
    const name = nextZoneName(doc);
    const folder = this.options.defaultFolder?.(doc, name) ?? name;
    return { id: localId(), name, folder, page: this.shownPage, ...rect };
  }

  private hintsOf(page: number): PageHints {
    return this.hints.get(page) ?? NO_HINTS;
  }

  /** The suggestions of `view`'s page its zones leave uncovered, in reading order; the
   *  same array while neither changes. */
  private offeredOn(view: PageView): Suggestion[] {
    if (this.readOnly) return [];
    const hints = this.hintsOf(view.page);
    const c = this.offered;
    if (c !== null && c.view === view && c.hints === hints) return c.list;
    const list = readingOrder(uncovered(hints.suggestions, view.zones));
    this.offered = { view, hints, list };
    return list;
  }

  private changed(): void {
    this.cached = null;
    for (const listener of this.listeners) listener();
  }
}
