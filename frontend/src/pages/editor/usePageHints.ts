// The suggestions and printed lines of the page shown, fetched once per page picture and
// handed to the editor (which snaps to the lines and shows the suggestions on demand).

import { useEffect, useMemo, useState } from "preact/hooks";
import { getZoneSuggestions } from "../../api/client";
import type { Model } from "../../api/types";
import type { ZoneEditor } from "../../editor/editor";
import type { PageHints } from "../../editor/suggestions";
import { pageUrl } from "./zonesForSave";

export interface HintsState {
  /** The page's suggestions are on their way. */
  readonly loading: boolean;
  /** Why they could not be had, or null. */
  readonly error: unknown;
}

export function usePageHints(editor: ZoneEditor, model: Model, page: number, enabled: boolean): HintsState {
  // A page's address names its content: a new reference picture is a new address.
  const url = pageUrl(model, page);
  const known = useMemo(() => new Map<string, PageHints>(), []);
  const [state, setState] = useState<{ url: string; error: unknown }>({ url: "", error: null });
  useEffect(() => {
    if (!enabled) return;
    const cached = known.get(url);
    if (cached !== undefined) {
      editor.setHints(page, cached);
      setState({ url, error: null });
      return;
    }
    const abort = new AbortController();
    getZoneSuggestions(model.id, page, abort.signal).then(
      (found) => {
        const hints: PageHints = { suggestions: found.items, lines: found.lines };
        known.set(url, hints);
        editor.setHints(page, hints);
        setState({ url, error: null });
      },
      (error: unknown) => {
        if (!abort.signal.aborted) setState({ url, error });
      },
    );
    return () => abort.abort();
  }, [editor, known, model.id, page, url, enabled]);
  return { loading: enabled && state.url !== url, error: state.url === url ? state.error : null };
}
