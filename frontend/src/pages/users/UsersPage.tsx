// Users (admins only): the people who sign in, their roles, and whether they may.
// Every change that could lock someone out asks first; a 409 (it would leave no enabled
// admin) is shown in the server's words.

import { useState } from "preact/hooks";
import { deleteUser, listUsers, updateUser } from "../../api/access";
import { detailOf } from "../../api/problem";
import type { Role, User, UserUpdate } from "../../api/types";
import { refreshSession, useAccess } from "../../app/session";
import { confirmAction } from "../../components/confirm";
import { Notice } from "../../components/Notice";
import { ROLE_SUMMARY, ROLES, RoleBadge } from "../../components/RoleBadge";
import { formatCount, formatExact, formatWhen } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { NewUserDialog } from "./NewUserDialog";
import { PasswordDialog } from "./PasswordDialog";

function When({ iso, never }: { iso: string | null; never: string }) {
  if (iso === null) return <span class="muted">{never}</span>;
  return (
    <time dateTime={iso} title={formatExact(iso)}>
      {formatWhen(iso)}
    </time>
  );
}

export function UsersPage() {
  const { me } = useAccess();
  const users = useAsync(() => listUsers(), []);
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<User | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [news, setNews] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const isSelf = (u: User): boolean => me?.kind === "user" && me.name.toLowerCase() === u.username.toLowerCase();

  /** One PATCH or DELETE, then the list again; what happened is said above the table. */
  const apply = async (user: User, action: () => Promise<unknown>, done: string): Promise<void> => {
    setBusy(user.id);
    setError(null);
    setNews(null);
    try {
      await action();
      setNews(done);
      if (isSelf(user)) await refreshSession();
    } catch (e) {
      setError(e);
    }
    setBusy(null);
    users.reload();
  };

  const change = (user: User, changes: UserUpdate, done: string): Promise<void> =>
    apply(user, () => updateUser(user.id, changes), done);

  const changeRole = async (user: User, role: Role): Promise<void> => {
    if (role === user.role) return;
    if (isSelf(user) && user.role === "admin") {
      const ok = await confirmAction({
        title: "Change your own role?",
        message: "You will no longer be an admin, so this page, the API keys and the audit log will be closed to you.",
        confirmLabel: `Make me an ${role}`,
        danger: true,
      });
      if (!ok) {
        users.reload();
        return;
      }
    }
    await change(user, { role }, `${user.username} is now an ${role}.`);
  };

  const toggle = async (user: User): Promise<void> => {
    if (user.disabled) {
      await change(user, { disabled: false }, `${user.username} may sign in again.`);
      return;
    }
    const ok = await confirmAction({
      title: `Disable ${user.username}?`,
      message: `${user.username} is signed out everywhere and cannot sign in until enabled again.${
        isSelf(user) ? " That includes you, now." : ""
      }`,
      confirmLabel: "Disable",
      danger: true,
    });
    if (ok) await change(user, { disabled: true }, `${user.username} is disabled.`);
  };

  const remove = async (user: User): Promise<void> => {
    const ok = await confirmAction({
      title: `Delete ${user.username}?`,
      message: `${user.username} can no longer sign in, and the account cannot be brought back. What they did stays in the audit log.`,
      confirmLabel: "Delete",
      danger: true,
    });
    if (ok) await apply(user, () => deleteUser(user.id), `${user.username} is deleted.`);
  };

  const items = users.data?.items ?? [];
  return (
    <main class="page">
      <div class="page-head">
        <h1>Users</h1>
        <div class="page-head-actions">
          <button type="button" class="button button-primary" onClick={() => setCreating(true)}>
            New user
          </button>
        </div>
      </div>
      <p class="lead">
        The people who sign in to Zonecut. An <strong>operator</strong> extracts pictures and sees models and folders;
        an <strong>editor</strong> also changes models and zones and deletes files; an <strong>admin</strong> also
        manages users, API keys and the audit log.
      </p>
      {error !== null && <Notice kind="error">{detailOf(error)}</Notice>}
      {news !== null && <Notice kind="success">{news}</Notice>}
      {users.error !== undefined && <Notice kind="error">{detailOf(users.error)}</Notice>}
      {users.loading && users.data === undefined ? (
        <p class="muted">Loading users…</p>
      ) : (
        <div class="card table-card">
          <table class="table">
            <caption class="visually-hidden">Users</caption>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Last sign-in</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((u) => (
                <tr key={u.id} class={u.disabled ? "is-inactive" : undefined}>
                  <th scope="row" class="cell-name">
                    {u.username}
                    {isSelf(u) && <span class="badge">you</span>}
                  </th>
                  <td>
                    <select
                      class="select-small"
                      aria-label={`Role of ${u.username}`}
                      title={ROLE_SUMMARY[u.role]}
                      value={u.role}
                      disabled={busy === u.id}
                      onChange={(e) => void changeRole(u, e.currentTarget.value as Role)}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    {u.disabled ? (
                      <span class="badge badge-failed">disabled</span>
                    ) : (
                      <span class="badge badge-done">active</span>
                    )}
                  </td>
                  <td>
                    <When iso={u.last_login_at} never="never" />
                  </td>
                  <td>
                    <When iso={u.created_at} never="" />
                  </td>
                  <td>
                    <div class="row-actions">
                      <button
                        type="button"
                        class="button button-small"
                        aria-label={`Reset password of ${u.username}`}
                        disabled={busy === u.id}
                        onClick={() => setResetting(u)}
                      >
                        Reset password
                      </button>
                      <button
                        type="button"
                        class="button button-small"
                        aria-label={`${u.disabled ? "Enable" : "Disable"} ${u.username}`}
                        disabled={busy === u.id}
                        onClick={() => void toggle(u)}
                      >
                        {u.disabled ? "Enable" : "Disable"}
                      </button>
                      <button
                        type="button"
                        class="button button-small button-quiet-danger"
                        aria-label={`Delete ${u.username}`}
                        disabled={busy === u.id}
                        onClick={() => void remove(u)}
                      >
                        Delete
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {users.data !== undefined && (
            <p class="table-foot muted">
              {formatCount(users.data.total, "user")}
              {items.some((u) => u.disabled) && ` · ${items.filter((u) => u.disabled).length} disabled`}
            </p>
          )}
        </div>
      )}
      <NewUserDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(u) => {
          setError(null);
          setNews(`${u.username} can now sign in as an ${u.role}.`);
          users.reload();
        }}
      />
      <PasswordDialog
        user={resetting}
        self={resetting !== null && isSelf(resetting)}
        onClose={() => setResetting(null)}
        onDone={(u) => {
          setResetting(null);
          setError(null);
          setNews(`${u.username} has a new password and was signed out everywhere.`);
          if (isSelf(u)) void refreshSession();
        }}
      />
    </main>
  );
}
