import { useState } from "preact/hooks";
import { deleteFile, folderArchiveUrl, listFiles } from "../../api/client";
import { explain } from "../../api/problem";
import type { OutputFile } from "../../api/types";
import { useAccess } from "../../app/session";
import { confirmAction } from "../../components/confirm";
import { Notice } from "../../components/Notice";
import { Thumb } from "../../components/Thumb";
import { formatBytes, formatCount, formatExact, formatWhen } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";

export function FolderFiles({ folder, onChanged }: { folder: string; onChanged: () => void }) {
  const { canEdit } = useAccess();
  const files = useAsync(() => listFiles(folder), [folder]);
  const [error, setError] = useState<unknown>(null);

  const remove = async (file: OutputFile): Promise<void> => {
    const ok = await confirmAction({
      title: "Delete file?",
      message: `${file.name} will be deleted from ${folder}/. This cannot be undone.`,
      confirmLabel: "Delete",
      danger: true,
    });
    if (!ok) return;
    try {
      await deleteFile(file.path);
      setError(null);
    } catch (e) {
      setError(e);
    }
    files.reload();
    onChanged();
  };

  const items = files.data?.items ?? [];
  return (
    <>
      <div class="section-head">
        <h2 class="folder-title">{folder}/</h2>
        {files.data && <span class="muted">{formatCount(files.data.total, "file")}</span>}
        <a class="button button-small" href={folderArchiveUrl(folder)} download>
          Download folder as ZIP
        </a>
      </div>
      {error !== null && <Notice kind="error">{explain(error)}</Notice>}
      {files.error !== undefined && <Notice kind="error">{explain(files.error)}</Notice>}
      {files.loading && files.data === undefined ? (
        <p class="muted">Loading…</p>
      ) : items.length === 0 ? (
        <p class="empty-small">This folder is empty.</p>
      ) : (
        <ul class="file-grid" aria-label={`Files in ${folder}`}>
          {items.map((f) => (
            <li key={f.path} class="file card">
              <a href={f.url} target="_blank" rel="noopener" title={`Open ${f.name}`}>
                <Thumb src={f.url} alt={f.name} size="l" />
              </a>
              <div class="file-body">
                <span class="file-name" title={f.name}>
                  {f.name}
                </span>
                <span class="muted">
                  {formatBytes(f.bytes)} ·{" "}
                  <time dateTime={f.created_at} title={formatExact(f.created_at)}>
                    {formatWhen(f.created_at)}
                  </time>
                </span>
              </div>
              <div class="file-actions">
                <a class="button button-small" href={f.url} download={f.name}>
                  Download
                </a>
                {canEdit && (
                  <button
                    type="button"
                    class="button button-small button-quiet-danger"
                    aria-label={`Delete ${f.name}`}
                    onClick={() => void remove(f)}
                  >
                    Delete
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
