// First run: the server printed a link /setup#token=… on its console; here the person
// who opened it makes the admin account, and is signed in as that admin.

import { useEffect, useState } from "preact/hooks";
import { MIN_PASSWORD } from "../../api/limits";
import { ApiError, detailOf, explain } from "../../api/problem";
import { navigate, routes, setupToken } from "../../app/router";
import { setUp } from "../../app/session";
import { PasswordField, UsernameField } from "../../components/CredentialFields";
import { Notice } from "../../components/Notice";
import { AuthCard } from "./AuthCard";

/** The token, read once; the address bar and the history then keep only /setup. */
function takeToken(): string | null {
  const token = setupToken(location.hash);
  if (location.hash !== "") history.replaceState(history.state, "", location.pathname + location.search);
  return token;
}

export function SetupPage() {
  const [token, setToken] = useState(takeToken);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [checked, setChecked] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  // The link pasted into the address bar of this very page changes only the fragment.
  useEffect(() => {
    const read = (): void => {
      const next = takeToken();
      if (next === null) return;
      setToken(next);
      setError(null);
    };
    window.addEventListener("hashchange", read);
    return () => window.removeEventListener("hashchange", read);
  }, []);

  const fieldError = (field: string): string | undefined =>
    error instanceof ApiError ? error.fieldErrors.find((f) => f.field === field)?.message : undefined;
  const tooShort = password.length < MIN_PASSWORD ? `At least ${MIN_PASSWORD} characters.` : undefined;
  const mismatch = repeat !== password ? "The two passwords differ." : undefined;

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setChecked(true);
    if (token === null || tooShort !== undefined || mismatch !== undefined) return;
    setBusy(true);
    setError(null);
    try {
      await setUp(token, username.trim(), password);
      await navigate(routes.models(), { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const status = error instanceof ApiError ? error.status : null;
  if (token === null || status === 403 || status === 409) {
    return (
      <AuthCard title="Set up Zonecut">
        {status === 409 ? (
          <Notice kind="info">
            Setup is already done: an admin account exists. <a href={routes.models()}>Sign in</a> instead.
          </Notice>
        ) : status === 403 ? (
          <Notice kind="error">
            This setup link is no longer valid. Use the link the server printed at its last start; restarting the server
            prints a new one while there is no admin.
          </Notice>
        ) : (
          <Notice kind="error">
            This page needs the setup link the Zonecut server printed on its console when it started (it ends in{" "}
            <code>#token=…</code>). Open that link to create the admin account.
          </Notice>
        )}
        <p class="auth-foot muted">
          Already have an account? <a href={routes.models()}>Sign in</a>
        </p>
      </AuthCard>
    );
  }

  return (
    <AuthCard
      title="Create the admin account"
      lead="This Zonecut server has no admin yet. The account you make here is its first admin: it can add people, make API keys and read the audit log."
    >
      <form class="form" onSubmit={submit} noValidate>
        <UsernameField
          purpose="new-account"
          name="username"
          value={username}
          onValue={setUsername}
          error={fieldError("username")}
          autoFocus
        />
        <PasswordField
          purpose="new"
          name="new-password"
          hint={`At least ${MIN_PASSWORD} characters; a long passphrase is best.`}
          value={password}
          onValue={setPassword}
          error={fieldError("password") ?? (checked ? tooShort : undefined)}
        />
        <PasswordField
          purpose="repeat"
          label="Repeat password"
          name="repeat-password"
          value={repeat}
          onValue={setRepeat}
          error={checked ? mismatch : undefined}
        />
        {error !== null && !fieldError("username") && !fieldError("password") && (
          <Notice kind="error">{error instanceof ApiError ? detailOf(error) : explain(error)}</Notice>
        )}
        <button type="submit" class="button button-primary button-block" disabled={busy || username.trim() === ""}>
          {busy ? "Creating…" : "Create admin"}
        </button>
      </form>
    </AuthCard>
  );
}
