// Saving the zones: one PUT with If-Match, and what follows from its answer —
// new ids adopted, a conflict offered as "reload theirs" or "overwrite", validation
// errors placed next to the fields they concern.

import { useCallback, useRef, useState } from "preact/hooks";
import { getModel, replaceZones } from "../../api/client";
import { ApiError, explain } from "../../api/problem";
import type { Model } from "../../api/types";
import { sameContent, createDoc } from "../../editor/document";
import type { ZoneEditor } from "../../editor/editor";
import {
  idMapping,
  pageSizes,
  NO_ERRORS,
  placeErrors,
  zonesForSave,
  zonesOfModel,
  type SaveErrors,
} from "./zonesForSave";

export interface ZoneSave {
  readonly saving: boolean;
  /** Set when the server had a newer version than ours. */
  readonly conflict: boolean;
  readonly errors: SaveErrors;
  readonly failure: string | null;
  readonly lastSaved: number | null;
  save(): Promise<void>;
  overwrite(): Promise<void>;
  reloadTheirs(): Promise<void>;
  dismissConflict(): void;
  clearFieldError(zoneId: string, field: string): void;
}

export function useZoneSave(editor: ZoneEditor, model: Model, setModel: (m: Model) => void): ZoneSave {
  const [saving, setSaving] = useState(false);
  const [conflict, setConflict] = useState(false);
  const [errors, setErrors] = useState<SaveErrors>(NO_ERRORS);
  const [failure, setFailure] = useState<string | null>(null);
  const [lastSaved, setLastSaved] = useState<number | null>(null);
  const modelRef = useRef(model);
  modelRef.current = model;
  const busy = useRef(false);

  const put = useCallback(
    async (base: Model): Promise<void> => {
      if (busy.current) return;
      busy.current = true;
      setSaving(true);
      setFailure(null);
      const sent = editor.doc;
      try {
        const serverIds = new Set(base.zones.map((z) => z.id));
        const saved = await replaceZones(base.id, base.version, zonesForSave(sent, serverIds));
        const answered = createDoc(pageSizes(saved), zonesOfModel(saved));
        if (sameContent(sent, answered)) editor.adoptSaved(sent, idMapping(sent, saved));
        else editor.load(pageSizes(saved), zonesOfModel(saved)); // the server normalised something
        setModel(saved);
        setErrors(NO_ERRORS);
        setConflict(false);
        setLastSaved(Date.now());
      } catch (e) {
        if (e instanceof ApiError && e.status === 412) {
          setConflict(true);
        } else if (e instanceof ApiError && e.fieldErrors.length > 0) {
          const placed = placeErrors(sent, e.fieldErrors);
          setErrors(placed);
          const first = placed.byZone.keys().next();
          if (!first.done) editor.reveal(first.value);
          setFailure(
            `Not saved: ${e.fieldErrors.length === 1 ? "one field needs" : `${e.fieldErrors.length} fields need`} attention.`,
          );
        } else {
          setFailure(`Not saved. ${explain(e)}`);
        }
      } finally {
        busy.current = false;
        setSaving(false);
      }
    },
    [editor, setModel],
  );

  const save = useCallback(() => put(modelRef.current), [put]);

  const overwrite = useCallback(async () => {
    setConflict(false);
    try {
      const theirs = await getModel(modelRef.current.id);
      await put(theirs);
    } catch (e) {
      setFailure(`Not saved. ${explain(e)}`);
    }
  }, [put]);

  const reloadTheirs = useCallback(async () => {
    setConflict(false);
    try {
      const theirs = await getModel(modelRef.current.id);
      editor.load(pageSizes(theirs), zonesOfModel(theirs));
      setModel(theirs);
      setErrors(NO_ERRORS);
      setFailure(null);
    } catch (e) {
      setFailure(`Could not reload. ${explain(e)}`);
    }
  }, [editor, setModel]);

  const clearFieldError = useCallback((zoneId: string, field: string) => {
    setErrors((prev) => {
      const entry = prev.byZone.get(zoneId);
      if (entry === undefined || !(field in entry)) return prev;
      const byZone = new Map(prev.byZone);
      const { [field as keyof typeof entry]: _gone, ...rest } = entry;
      if (Object.keys(rest).length === 0) byZone.delete(zoneId);
      else byZone.set(zoneId, rest);
      return { ...prev, byZone };
    });
  }, []);

  return {
    saving,
    conflict,
    errors,
    failure,
    lastSaved,
    save,
    overwrite,
    reloadTheirs,
    dismissConflict: () => setConflict(false),
    clearFieldError,
  };
}
