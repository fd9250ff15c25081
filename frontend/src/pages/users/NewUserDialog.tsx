// "New user": a username, a first password and a role.

import { useEffect, useState } from "preact/hooks";
import { createUser } from "../../api/access";
import { MIN_PASSWORD } from "../../api/limits";
import { ApiError, detailOf } from "../../api/problem";
import type { Role, User } from "../../api/types";
import { PasswordField, UsernameField } from "../../components/CredentialFields";
import { Dialog } from "../../components/Dialog";
import { Field } from "../../components/Field";
import { Notice } from "../../components/Notice";
import { ROLE_SUMMARY, ROLES } from "../../components/RoleBadge";

export function NewUserDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (user: User) => void;
}) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("operator");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!open) return;
    setUsername("");
    setPassword("");
    setRole("operator");
    setError(null);
  }, [open]);

  const fieldError = (field: string): string | undefined =>
    error instanceof ApiError ? error.fieldErrors.find((f) => f.field === field)?.message : undefined;

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const user = await createUser({ username: username.trim(), password, role });
      onCreated(user);
      onClose();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const shown = error !== null && !fieldError("username") && !fieldError("password") && !fieldError("role");
  return (
    <Dialog open={open} title="New user" onClose={() => !busy && onClose()}>
      <form class="form" onSubmit={submit}>
        <UsernameField
          purpose="new-account"
          autoComplete="off"
          value={username}
          onValue={setUsername}
          error={fieldError("username")}
          autoFocus
        />
        <PasswordField
          purpose="new"
          hint={`At least ${MIN_PASSWORD} characters. Tell it to them in person; they can be given a new one here.`}
          value={password}
          onValue={setPassword}
          error={fieldError("password")}
        />
        <Field label="Role" hint={ROLE_SUMMARY[role]} error={fieldError("role")}>
          {(control) => (
            <select {...control} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          )}
        </Field>
        {shown && <Notice kind="error">{detailOf(error)}</Notice>}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button
            type="submit"
            class="button button-primary"
            disabled={busy || username.trim() === "" || password.length < MIN_PASSWORD}
          >
            {busy ? "Creating…" : "Create user"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
