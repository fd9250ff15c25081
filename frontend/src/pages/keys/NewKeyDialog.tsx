// "New API key": a name, a role, optionally some models and an expiry day.

import { useEffect, useState } from "preact/hooks";
import { createApiKey } from "../../api/access";
import { ApiError, detailOf } from "../../api/problem";
import type { ApiKeyCreated, ModelSummary, Role } from "../../api/types";
import { Dialog } from "../../components/Dialog";
import { Field } from "../../components/Field";
import { Notice } from "../../components/Notice";
import { ROLE_SUMMARY, ROLES } from "../../components/RoleBadge";
import { expiryFromDay, today } from "./expiry";

export function NewKeyDialog({
  open,
  models,
  onClose,
  onCreated,
}: {
  open: boolean;
  models: readonly ModelSummary[];
  onClose: () => void;
  onCreated: (key: ApiKeyCreated) => void;
}) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("operator");
  const [limited, setLimited] = useState(false);
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const [expires, setExpires] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!open) return;
    setName("");
    setRole("operator");
    setLimited(false);
    setChosen(new Set());
    setExpires("");
    setError(null);
  }, [open]);

  const fieldError = (field: string): string | undefined =>
    error instanceof ApiError
      ? error.fieldErrors.find((f) => f.field === field || f.field.startsWith(`${field}[`))?.message
      : undefined;
  const toggle = (id: string, on: boolean): void =>
    setChosen((prev) => {
      const next = new Set(prev);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await createApiKey({
        name: name.trim(),
        role,
        models: limited ? models.filter((m) => chosen.has(m.id)).map((m) => m.id) : null,
        expires_at: expiryFromDay(expires),
      });
      onCreated(created);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const known = new Set(["name", "role", "models", "expires_at"]);
  const general =
    error !== null &&
    !(error instanceof ApiError && error.fieldErrors.some((f) => known.has(f.field.replace(/\[.*$/, ""))));
  return (
    <Dialog open={open} title="New API key" onClose={() => !busy && onClose()} wide>
      <form class="form" onSubmit={submit}>
        <div class="field-grid">
          <Field label="Name" hint="What will use it, e.g. scanner-2" error={fieldError("name")}>
            {(control) => (
              <input
                {...control}
                autoComplete="off"
                spellcheck={false}
                required
                maxLength={100}
                value={name}
                onInput={(e) => setName(e.currentTarget.value)}
                autoFocus
              />
            )}
          </Field>
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
        </div>
        <fieldset class="field">
          <legend>Models</legend>
          <label class="radio">
            <input type="radio" name="key-models" checked={!limited} onChange={() => setLimited(false)} />
            <span>
              <strong>All models</strong> — as far as its role allows.
            </span>
          </label>
          <label class="radio">
            <input type="radio" name="key-models" checked={limited} onChange={() => setLimited(true)} />
            <span>
              <strong>Only some models</strong> — it may read them, cut pictures with them and read their results,
              nothing else.
            </span>
          </label>
          {limited &&
            (models.length === 0 ? (
              <p class="empty-small">There are no models yet.</p>
            ) : (
              <ul class="check-list" aria-label="Models the key may use">
                {models.map((m) => (
                  <li key={m.id}>
                    <label class="check">
                      <input
                        type="checkbox"
                        checked={chosen.has(m.id)}
                        onChange={(e) => toggle(m.id, e.currentTarget.checked)}
                      />
                      <span>{m.name}</span>
                    </label>
                  </li>
                ))}
              </ul>
            ))}
          {fieldError("models") && <span class="field-error">{fieldError("models")}</span>}
        </fieldset>
        <Field
          label="Expires (optional)"
          hint="The key stops working at the end of this day. Leave it empty for a key that does not expire."
          error={fieldError("expires_at")}
        >
          {(control) => (
            <input
              {...control}
              type="date"
              min={today()}
              value={expires}
              onInput={(e) => setExpires(e.currentTarget.value)}
            />
          )}
        </Field>
        {general && <Notice kind="error">{detailOf(error)}</Notice>}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button
            type="submit"
            class="button button-primary"
            disabled={busy || name.trim() === "" || (limited && chosen.size === 0)}
          >
            {busy ? "Creating…" : "Create key"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
