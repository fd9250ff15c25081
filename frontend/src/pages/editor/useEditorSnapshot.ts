import { useEffect, useState } from "preact/hooks";
import type { EditorSnapshot, ZoneEditor } from "../../editor/editor";

/** The editor's state for rendering the panels. During a pointer gesture it is
 *  refreshed at most once per animation frame, like the canvas, however many pointer
 *  events arrive; other changes (typing in a field) show at once, so a controlled
 *  field never lags behind what was typed. */
export function useEditorSnapshot(editor: ZoneEditor): EditorSnapshot {
  const [snapshot, setSnapshot] = useState(() => editor.snapshot());
  useEffect(() => {
    let frame: number | null = null;
    const flush = (): void => {
      frame = null;
      setSnapshot(editor.snapshot());
    };
    setSnapshot(editor.snapshot());
    const unsubscribe = editor.subscribe(() => {
      if (editor.gestureActive) {
        if (frame === null) frame = requestAnimationFrame(flush);
        return;
      }
      if (frame !== null) cancelAnimationFrame(frame);
      flush();
    });
    return () => {
      unsubscribe();
      if (frame !== null) cancelAnimationFrame(frame);
    };
  }, [editor]);
  return snapshot;
}
