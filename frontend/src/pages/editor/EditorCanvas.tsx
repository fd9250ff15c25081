// The canvas area: mounts the framework-free editor view and hands it the picture.

import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import { mountCanvasView, type CanvasView } from "../../editor/canvasView";
import type { EditorSnapshot, ZoneEditor } from "../../editor/editor";
import type { Command } from "../../editor/keymap";
import type { Picture } from "../../editor/picture";
import { dialogOpen } from "../../components/Dialog";
import { SuggestionLayer } from "./SuggestionLayer";

declare global {
  interface Window {
    /** Present with ?perf in the address: render timings for measurement scripts. */
    zonecutPerf?: { frameDurations: () => readonly number[] };
  }
}

export function EditorCanvas({
  editor,
  snap,
  picture,
  onCommand,
  loading,
  readOnly = false,
}: {
  editor: ZoneEditor;
  snap: EditorSnapshot;
  picture: Picture | null;
  onCommand: (cmd: Command) => boolean;
  loading: boolean;
  readOnly?: boolean;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<CanvasView | null>(null);
  const commandRef = useRef(onCommand);
  commandRef.current = onCommand;
  const pictureRef = useRef(picture);
  pictureRef.current = picture;

  useEffect(() => {
    if (host.current === null) return;
    const v = mountCanvasView(host.current, editor, {
      onCommand: (cmd) => commandRef.current(cmd),
      // Keys are the editor's only while it is shown: not under a dialog, nor while the
      // page waits hidden behind the sign-in page.
      keyboardEnabled: () => !dialogOpen() && host.current !== null && host.current.getClientRects().length > 0,
    });
    view.current = v;
    v.setPicture(pictureRef.current);
    if (new URLSearchParams(location.search).has("perf")) window.zonecutPerf = { frameDurations: v.frameDurations };
    return () => {
      v.destroy();
      view.current = null;
    };
  }, [editor]);

  // Before the next frame is drawn: a page switch brings its zones and drops the old
  // page's picture in the same frame.
  useLayoutEffect(() => {
    view.current?.setPicture(picture);
  }, [picture]);

  return (
    <div class="canvas-wrap">
      <div
        ref={host}
        class="canvas-host"
        role="application"
        tabIndex={0}
        aria-label={readOnly ? "Zone canvas: drag to pan" : "Zone canvas: drag on the picture to draw a zone"}
      />
      <SuggestionLayer editor={editor} snap={snap} />
      {loading && <div class="canvas-loading">Loading the picture…</div>}
    </div>
  );
}
