// "New webhook": an address and the events to tell it of; Zonecut makes the secret.

import { useEffect, useState } from "preact/hooks";
import { createWebhook } from "../../api/webhooks";
import { ApiError, detailOf } from "../../api/problem";
import type { WebhookCreated, WebhookEvent } from "../../api/types";
import { Dialog } from "../../components/Dialog";
import { Field } from "../../components/Field";
import { Notice } from "../../components/Notice";
import { EVENTS } from "./events";

export function NewWebhookDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (webhook: WebhookCreated) => void;
}) {
  const [url, setUrl] = useState("");
  const [chosen, setChosen] = useState<ReadonlySet<WebhookEvent>>(new Set());
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!open) return;
    setUrl("");
    setChosen(new Set());
    setError(null);
  }, [open]);

  const fieldError = (field: string): string | undefined =>
    error instanceof ApiError
      ? error.fieldErrors.find((f) => f.field === field || f.field.startsWith(`${field}[`))?.message
      : undefined;
  const toggle = (event: WebhookEvent, on: boolean): void =>
    setChosen((prev) => {
      const next = new Set(prev);
      if (on) next.add(event);
      else next.delete(event);
      return next;
    });

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const events = EVENTS.map((ev) => ev.name).filter((name) => chosen.has(name));
      onCreated(await createWebhook({ url: url.trim(), events }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const general =
    error !== null &&
    !(error instanceof ApiError && error.fieldErrors.some((f) => f.field === "url" || f.field.startsWith("events")));
  return (
    <Dialog open={open} title="New webhook" onClose={() => !busy && onClose()} wide>
      <form class="form" onSubmit={submit}>
        <Field
          label="URL"
          hint="Where Zonecut posts each event, signed (Standard Webhooks). Only public addresses, unless the server allows private ones."
          error={fieldError("url")}
        >
          {(control) => (
            <input
              {...control}
              type="url"
              autoComplete="off"
              spellcheck={false}
              required
              maxLength={2000}
              placeholder="https://example.com/hooks/zonecut"
              value={url}
              onInput={(e) => setUrl(e.currentTarget.value)}
              autoFocus
            />
          )}
        </Field>
        <fieldset class="field">
          <legend>Events</legend>
          <ul class="check-list check-list-open" aria-label="Events to deliver">
            {EVENTS.map((ev) => (
              <li key={ev.name}>
                <label class="check">
                  <input
                    type="checkbox"
                    checked={chosen.has(ev.name)}
                    onChange={(e) => toggle(ev.name, e.currentTarget.checked)}
                  />
                  <span>
                    {ev.label} <code>{ev.name}</code>
                  </span>
                </label>
              </li>
            ))}
          </ul>
          {fieldError("events") && <span class="field-error">{fieldError("events")}</span>}
        </fieldset>
        {general && <Notice kind="error">{detailOf(error)}</Notice>}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy || url.trim() === "" || chosen.size === 0}>
            {busy ? "Creating…" : "Create webhook"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
