// The zone editor page: loads a model and its picture, lays out toolbar, canvas and
// side panel (and a strip of pages for a reference of several), saves, and guards
// against leaving with unsaved changes. For a role that may not change models it is a
// viewer: zones shown and listed, nothing to edit.

import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { getModel, listFolders } from "../../api/client";
import { fetchFile } from "../../api/http";
import { explain } from "../../api/problem";
import type { FolderPage, Model } from "../../api/types";
import { routes, setNavigationGuard } from "../../app/router";
import { useAccess } from "../../app/session";
import { confirmAction } from "../../components/confirm";
import { Notice } from "../../components/Notice";
import { zoneCounts } from "../../editor/document";
import { ZoneEditor } from "../../editor/editor";
import type { Command } from "../../editor/keymap";
import { Picture } from "../../editor/picture";
import { formatWhen } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { ConflictDialog } from "./ConflictDialog";
import { EditorCanvas } from "./EditorCanvas";
import { PagePictures } from "./pagePictures";
import { PageStrip } from "./PageStrip";
import { SettingsPanel, SettingsSummary } from "./SettingsPanel";
import { Toolbar } from "./Toolbar";
import { SamplesPanel } from "./SamplesPanel";
import { useEditorSnapshot } from "./useEditorSnapshot";
import { checkSummary, useSampleCheck } from "./useSampleCheck";
import { useSamples } from "./useSamples";
import { usePageHints } from "./usePageHints";
import { useZoneSave } from "./useZoneSave";
import { ZonePanel } from "./ZonePanel";
import { pageSizes, pageUrl, zonesOfModel } from "./zonesForSave";

export function EditorPage({ modelId }: { modelId: string }) {
  const { canEdit } = useAccess();
  const loaded = useAsync(() => getModel(modelId), [modelId]);
  if (loaded.error !== undefined) {
    return (
      <main class="page">
        <p>
          <a href={routes.models()}>← Models</a>
        </p>
        <Notice kind="error">{explain(loaded.error)}</Notice>
      </main>
    );
  }
  if (loaded.data === undefined) return <main class="page muted">Loading the model…</main>;
  return <LoadedEditor initial={loaded.data} readOnly={!canEdit} />;
}

interface Loaded {
  readonly url: string;
  readonly picture: Picture | null;
  readonly error: unknown;
}

/** The picture of page `page` (from 1) of the model's reference, decoded; null while it
 *  loads. The last few pages shown stay decoded, so going back to one is instant. */
function usePagePicture(model: Model, page: number): { picture: Picture | null; error: unknown } {
  const [loaded, setLoaded] = useState<Loaded>({ url: "", picture: null, error: null });
  const [, setLevels] = useState(0);
  const pictures = useMemo(() => new PagePictures<Picture>(), []);
  useEffect(() => () => pictures.close(), [pictures]);
  // A page's address names its content: the picture changes only with it.
  const url = pageUrl(model, page);
  const size = pageSizes(model)[page - 1] ?? { width: model.image.width, height: model.image.height };
  useEffect(() => {
    let live = true;
    pictures
      .get(url, () =>
        fetchFile(url).then((blob) =>
          // Each smaller copy, once ready, is a reason to repaint.
          Picture.decode(blob, size, () => live && setLevels((n) => n + 1)),
        ),
      )
      .then(
        (picture) => live && setLoaded({ url, picture, error: null }),
        (error: unknown) => live && setLoaded({ url, picture: null, error }),
      );
    return () => {
      live = false;
    };
    // The size goes with the address.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pictures, url]);
  // Another page's picture is never shown under this page's zones, not even for a frame.
  return loaded.url === url ? loaded : { picture: null, error: null };
}

const NO_FOLDERS = (): Promise<FolderPage | null> => Promise.resolve(null);

function LoadedEditor({ initial, readOnly }: { initial: Model; readOnly: boolean }) {
  const [model, setModel] = useState(initial);
  const editor = useMemo(
    () => new ZoneEditor(pageSizes(initial), zonesOfModel(initial), { readOnly }),
    [initial, readOnly],
  );
  const snap = useEditorSnapshot(editor);
  const page = snap.view.page;
  const paged = snap.pageCount > 1;
  const { picture, error: pictureError } = usePagePicture(model, page);
  const counts = useMemo(() => zoneCounts(snap.doc), [snap.doc]);
  const sync = useZoneSave(editor, model, setModel);
  const hints = usePageHints(editor, model, page, !readOnly);
  const [tab, setTab] = useState<"zones" | "samples" | "settings">("zones");
  // Samples are an editor's: kept with the model, cut again before every Save.
  const samples = useSamples(model.id, !readOnly);
  const check = useSampleCheck(
    model,
    snap.doc,
    snap.dirty,
    editor.gestureActive,
    samples.items.length,
    samples.version,
  );
  const summary = readOnly ? null : checkSummary(check, samples.items.length);
  const [settingsDirty, setSettingsDirty] = useState(false);
  // Folder names to suggest while naming zones: only an editor names them.
  const folders = useAsync(readOnly ? NO_FOLDERS : () => listFolders(), [readOnly]);

  const suggestions = useMemo(() => {
    const all = new Set<string>(snap.folders);
    for (const f of folders.data?.items ?? []) all.add(f.path);
    return [...all].sort();
  }, [snap.folders, folders.data]);

  // ----- unsaved changes: visible, and asked about before leaving ---------------------
  const unsaved = snap.dirty || settingsDirty;
  useEffect(() => {
    document.title = `${unsaved ? "• " : ""}${model.name} — Zonecut`;
    return () => {
      document.title = "Zonecut";
    };
  }, [unsaved, model.name]);
  useEffect(() => {
    if (!unsaved) return;
    const beforeUnload = (e: BeforeUnloadEvent): void => {
      e.preventDefault();
      e.returnValue = "";
    };
    window.addEventListener("beforeunload", beforeUnload);
    setNavigationGuard(() =>
      confirmAction({
        title: "Leave without saving?",
        message: "Your changes to this model are not saved. If you leave now, they are lost.",
        confirmLabel: "Leave without saving",
        cancelLabel: "Stay",
        danger: true,
      }),
    );
    return () => {
      window.removeEventListener("beforeunload", beforeUnload);
      setNavigationGuard(null);
    };
  }, [unsaved]);

  const onCommand = useCallback(
    (cmd: Command): boolean => {
      if (cmd.kind !== "save" || readOnly) return false;
      void sync.save();
      return true;
    },
    [sync, readOnly],
  );

  const suggestStatus = !snap.suggesting
    ? ""
    : hints.loading
      ? "Looking for printed boxes…"
      : hints.error !== null
        ? `No suggestions: ${explain(hints.error)}`
        : snap.suggestions.length === 0
          ? "Nothing more to suggest on this page."
          : `${snap.suggestions.length} suggested: click one, or Tab to it and press Enter, to add it; Shift-drag around several.`;

  const status = sync.saving
    ? "Saving…"
    : snap.dirty
      ? "Unsaved changes"
      : sync.lastSaved !== null
        ? "All changes saved"
        : `Saved ${formatWhen(model.updated_at)}`;

  return (
    <main class="editor-page">
      <div class="editor-head">
        <a href={routes.models()} class="back-link">
          ← Models
        </a>
        <h1 class="editor-title">{model.name}</h1>
        <span class="muted">
          {paged && `Page ${page} of ${snap.pageCount} · `}
          {snap.view.image.width}×{snap.view.image.height} px · version {model.version}
        </span>
        {readOnly && <span class="badge">Read only</span>}
        <a class="button button-small" href={routes.extract(model.id)}>
          Extract with this model
        </a>
      </div>
      <Toolbar
        editor={editor}
        snap={snap}
        status={status}
        onSave={() => void sync.save()}
        saving={sync.saving}
        suggestStatus={suggestStatus}
        readOnly={readOnly}
        beforeSave={
          summary !== null && (
            <button
              type="button"
              class={`check-chip tone-${summary.tone}`}
              title="What Save changes on the samples"
              onClick={() => setTab("samples")}
            >
              {summary.text}
            </button>
          )
        }
      />
      <div class="editor-body">
        {paged && (
          <PageStrip pages={model.image.pages} page={page} counts={counts} onPage={(p) => editor.showPage(p)} />
        )}
        <EditorCanvas
          editor={editor}
          snap={snap}
          picture={picture}
          onCommand={onCommand}
          loading={picture === null && pictureError === null}
          readOnly={readOnly}
        />
        <aside class="side-panel">
          <div class="tabs" role="tablist" aria-label="Panels">
            <button
              type="button"
              role="tab"
              aria-selected={tab === "zones"}
              class="tab"
              onClick={() => setTab("zones")}
            >
              Zones
            </button>
            {!readOnly && (
              <button
                type="button"
                role="tab"
                aria-selected={tab === "samples"}
                class="tab"
                onClick={() => setTab("samples")}
              >
                Samples
              </button>
            )}
            <button
              type="button"
              role="tab"
              aria-selected={tab === "settings"}
              class="tab"
              onClick={() => setTab("settings")}
            >
              Settings{settingsDirty ? " •" : ""}
            </button>
          </div>
          {sync.failure !== null && <Notice kind="error">{sync.failure}</Notice>}
          {pictureError !== null && <Notice kind="error">{explain(pictureError)}</Notice>}
          <div hidden={tab !== "zones"}>
            <ZonePanel
              editor={editor}
              snap={snap}
              errors={sync.errors}
              suggestions={suggestions}
              onEdited={sync.clearFieldError}
              readOnly={readOnly}
            />
          </div>
          {!readOnly && (
            <div hidden={tab !== "samples"}>
              <SamplesPanel model={model} samples={samples} check={check} dirty={snap.dirty} />
            </div>
          )}
          <div hidden={tab !== "settings"}>
            {readOnly ? (
              <SettingsSummary model={model} />
            ) : (
              <SettingsPanel model={model} onSaved={setModel} onDirty={setSettingsDirty} />
            )}
          </div>
        </aside>
      </div>
      <ConflictDialog
        open={sync.conflict}
        onReload={() => void sync.reloadTheirs()}
        onOverwrite={() => void sync.overwrite()}
        onCancel={sync.dismissConflict}
      />
    </main>
  );
}
