// "Reset password": a new password for someone, typed twice. It signs them out everywhere.

import { useEffect, useState } from "preact/hooks";
import { updateUser } from "../../api/access";
import { MIN_PASSWORD } from "../../api/limits";
import { ApiError, detailOf } from "../../api/problem";
import type { User } from "../../api/types";
import { Dialog } from "../../components/Dialog";
import { PasswordField } from "../../components/CredentialFields";
import { Notice } from "../../components/Notice";

export function PasswordDialog({
  user,
  self,
  onClose,
  onDone,
}: {
  user: User | null;
  self: boolean;
  onClose: () => void;
  onDone: (user: User) => void;
}) {
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [checked, setChecked] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setPassword("");
    setRepeat("");
    setChecked(false);
    setError(null);
  }, [user]);

  const passwordError =
    error instanceof ApiError ? error.fieldErrors.find((f) => f.field === "password")?.message : undefined;
  const mismatch = checked && repeat !== password ? "The two passwords differ." : undefined;

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setChecked(true);
    if (user === null || repeat !== password) return;
    setBusy(true);
    setError(null);
    try {
      onDone(await updateUser(user.id, { password }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={user !== null} title={`New password for ${user?.username ?? ""}`} onClose={() => !busy && onClose()}>
      <form class="form" onSubmit={submit}>
        <p class="muted">
          {self
            ? "You are signed out everywhere, this browser too; sign in again with the new password."
            : `${user?.username ?? ""} is signed out everywhere and signs in again with the new password.`}
        </p>
        <PasswordField
          purpose="new"
          label="New password"
          hint={`At least ${MIN_PASSWORD} characters.`}
          value={password}
          onValue={setPassword}
          error={passwordError}
          autoFocus
        />
        <PasswordField
          purpose="repeat"
          label="Repeat the new password"
          value={repeat}
          onValue={setRepeat}
          error={mismatch}
        />
        {error !== null && !passwordError && <Notice kind="error">{detailOf(error)}</Notice>}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy || password.length < MIN_PASSWORD}>
            Set password
          </button>
        </div>
      </form>
    </Dialog>
  );
}
