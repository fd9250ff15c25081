// Folders: every output folder with its size; one folder's files with thumbnails,
// downloads, and (for editors and admins) deletion after confirmation.

import { listFolders } from "../../api/client";
import { explain } from "../../api/problem";
import { routes } from "../../app/router";
import { Notice } from "../../components/Notice";
import { formatBytes, formatCount } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { FolderFiles } from "./FolderFiles";

export function FoldersPage({ folder }: { folder: string | null }) {
  const folders = useAsync(() => listFolders(), []);
  const items = folders.data?.items ?? [];
  return (
    <main class="page folders-page">
      <div class="page-head">
        <h1>Folders</h1>
      </div>
      {folders.error !== undefined && <Notice kind="error">{explain(folders.error)}</Notice>}
      <div class="folders-layout">
        <nav class="folder-list card" aria-label="Folders">
          {folders.loading && folders.data === undefined ? (
            <p class="muted">Loading…</p>
          ) : items.length === 0 ? (
            <p class="empty-small">No crops filed yet. Extract a picture and its crops appear here.</p>
          ) : (
            <ul>
              {items.map((f) => (
                <li key={f.path}>
                  <a
                    href={routes.folders(f.path)}
                    class="folder-link"
                    aria-current={f.path === folder ? "page" : undefined}
                  >
                    <span class="folder-path">{f.path}/</span>
                    <span class="muted">
                      {formatCount(f.file_count, "file")} · {formatBytes(f.bytes)}
                    </span>
                  </a>
                </li>
              ))}
            </ul>
          )}
        </nav>
        <section class="folder-view">
          {folder === null ? (
            items.length > 0 && <p class="muted">Choose a folder to see its files.</p>
          ) : (
            <FolderFiles folder={folder} onChanged={folders.reload} />
          )}
        </section>
      </div>
    </main>
  );
}
