// Sign in: a username and a password. Shown at whatever address the person was at, so
// that after signing in they are back where they were.

import { useState } from "preact/hooks";
import { ApiError, detailOf, explain } from "../../api/problem";
import type { Me } from "../../api/types";
import { signIn } from "../../app/session";
import { PasswordField, UsernameField } from "../../components/CredentialFields";
import { Notice } from "../../components/Notice";
import { formatWait } from "../../lib/format";
import { AuthCard } from "./AuthCard";

/** What went wrong, in words: the server's detail, and for a throttled name the wait. */
export function signInFailure(error: unknown, now: number = Date.now()): string {
  if (!(error instanceof ApiError)) return explain(error);
  if (error.status === 429 && error.retryAfter !== null) {
    const at = new Date(now + error.retryAfter * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return `${detailOf(error)} You can try again in ${formatWait(error.retryAfter)} (at ${at}).`;
  }
  return error.status === 401 || error.status === 429 ? detailOf(error) : explain(error);
}

export function SignInPage({ ended }: { ended: Me | null }) {
  const [username, setUsername] = useState(ended?.name ?? "");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username.trim(), password);
    } catch (err) {
      setError(err);
      setPassword("");
      setBusy(false);
    }
  };

  return (
    <AuthCard title="Sign in" lead="Sign in to Zonecut with the account an admin made for you.">
      {ended !== null && error === null && (
        <Notice kind="info">Your session has ended. Sign in again to carry on where you were.</Notice>
      )}
      <form class="form" onSubmit={submit}>
        <UsernameField
          purpose="sign-in"
          name="username"
          value={username}
          onValue={setUsername}
          autoFocus={username === ""}
        />
        <PasswordField
          purpose="sign-in"
          name="password"
          value={password}
          onValue={setPassword}
          autoFocus={username !== ""}
        />
        {error !== null && <Notice kind="error">{signInFailure(error)}</Notice>}
        <button type="submit" class="button button-primary button-block" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </AuthCard>
  );
}
