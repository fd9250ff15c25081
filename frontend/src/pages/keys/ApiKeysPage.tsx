// API keys (admins only): the keys programs use, what each may do, when it was last
// used; a new key's secret is shown once; revoking asks first.

import { useMemo, useState } from "preact/hooks";
import { listApiKeys, revokeApiKey } from "../../api/access";
import { listModels } from "../../api/client";
import { detailOf } from "../../api/problem";
import type { ApiKey, ApiKeyCreated } from "../../api/types";
import { confirmAction } from "../../components/confirm";
import { Notice } from "../../components/Notice";
import { RoleBadge } from "../../components/RoleBadge";
import { formatCount, formatExact, formatWhen } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { keyStatus } from "./expiry";
import { NewKeyDialog } from "./NewKeyDialog";
import { SecretDialog } from "./SecretDialog";

function When({ iso, never }: { iso: string | null; never: string }) {
  if (iso === null) return <span class="muted">{never}</span>;
  return (
    <time dateTime={iso} title={formatExact(iso)}>
      {formatWhen(iso)}
    </time>
  );
}

const STATUS_BADGE = { active: "badge-done", expired: "", revoked: "badge-failed" } as const;

export function ApiKeysPage() {
  const keys = useAsync(() => listApiKeys(), []);
  const models = useAsync(() => listModels({ limit: 200 }), []);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [news, setNews] = useState<string | null>(null);

  const modelNames = useMemo(
    () => new Map((models.data?.items ?? []).map((m) => [m.id, m.name] as const)),
    [models.data],
  );
  const scope = (key: ApiKey): string => {
    if (key.models === null) return "All models";
    if (key.models.length === 0) return "No model";
    const names = key.models.map((id) => modelNames.get(id) ?? "a deleted model");
    return names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")} and ${names.length - 3} more`;
  };

  const revoke = async (key: ApiKey): Promise<void> => {
    const ok = await confirmAction({
      title: `Revoke ${key.name}?`,
      message: `Every program that uses ${key.name} (${key.prefix}…) is refused from now on. This cannot be undone; make a new key to give access again.`,
      confirmLabel: "Revoke",
      danger: true,
    });
    if (!ok) return;
    setError(null);
    setNews(null);
    try {
      await revokeApiKey(key.id);
      setNews(`${key.name} is revoked.`);
    } catch (e) {
      setError(e);
    }
    keys.reload();
  };

  const items = keys.data?.items ?? [];
  const active = items.filter((k) => keyStatus(k) === "active").length;
  return (
    <main class="page">
      <div class="page-head">
        <h1>API keys</h1>
        <div class="page-head-actions">
          <button type="button" class="button button-primary" onClick={() => setCreating(true)}>
            New API key
          </button>
        </div>
      </div>
      <p class="lead">
        Keys let programs — scanners, scripts, the <code>zonecut</code> command line — call Zonecut without a password.
        Each has a role like a person, and may be limited to some models. A key's secret is shown once, when it is made.
      </p>
      {error !== null && <Notice kind="error">{detailOf(error)}</Notice>}
      {news !== null && <Notice kind="success">{news}</Notice>}
      {keys.error !== undefined && <Notice kind="error">{detailOf(keys.error)}</Notice>}
      {keys.loading && keys.data === undefined ? (
        <p class="muted">Loading keys…</p>
      ) : items.length === 0 ? (
        <p class="empty card">No API keys yet. Make one for each program that should reach Zonecut.</p>
      ) : (
        <div class="card table-card">
          <table class="table">
            <caption class="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Models</th>
                <th scope="col">Key</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((k) => {
                const status = keyStatus(k);
                return (
                  <tr key={k.id} class={status === "active" ? undefined : "is-inactive"}>
                    <th scope="row" class="cell-name">
                      {k.name}
                    </th>
                    <td>
                      <RoleBadge role={k.role} />
                    </td>
                    <td class="cell-models">{scope(k)}</td>
                    <td>
                      <code>{k.prefix}…</code>
                    </td>
                    <td>
                      <When iso={k.created_at} never="" />
                      <span class="muted"> by {k.created_by}</span>
                    </td>
                    <td>
                      <When iso={k.last_used_at} never="never" />
                    </td>
                    <td>
                      <When iso={k.expires_at} never="never" />
                    </td>
                    <td>
                      <span class={`badge ${STATUS_BADGE[status]}`}>{status}</span>
                      {k.revoked_at !== null && (
                        <span class="muted cell-note">
                          {" "}
                          <When iso={k.revoked_at} never="" />
                        </span>
                      )}
                    </td>
                    <td>
                      <div class="row-actions">
                        {k.revoked_at === null && (
                          <button
                            type="button"
                            class="button button-small button-quiet-danger"
                            aria-label={`Revoke ${k.name}`}
                            onClick={() => void revoke(k)}
                          >
                            Revoke
                          </button>
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p class="table-foot muted">
            {formatCount(items.length, "key")} · {active} active
          </p>
        </div>
      )}
      <NewKeyDialog
        open={creating}
        models={models.data?.items ?? []}
        onClose={() => setCreating(false)}
        onCreated={(key) => {
          setCreating(false);
          setCreated(key);
          setError(null);
          setNews(null);
          keys.reload();
        }}
      />
      <SecretDialog created={created} onClose={() => setCreated(null)} />
    </main>
  );
}
