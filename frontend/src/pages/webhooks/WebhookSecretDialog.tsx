// A new webhook's signing secret, shown this once with a "Copy" button.

import { useRef, useState } from "preact/hooks";
import type { WebhookCreated } from "../../api/types";
import { Dialog } from "../../components/Dialog";
import { Field } from "../../components/Field";

export function WebhookSecretDialog({ created, onClose }: { created: WebhookCreated | null; onClose: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"no" | "yes" | "failed">("no");

  const copy = async (): Promise<void> => {
    if (created === null) return;
    try {
      await navigator.clipboard.writeText(created.secret);
      setCopied("yes");
    } catch {
      input.current?.focus();
      input.current?.select();
      setCopied("failed");
    }
  };
  const close = (): void => {
    setCopied("no");
    onClose();
  };

  return (
    <Dialog
      open={created !== null}
      title="Webhook created"
      onClose={close}
      wide
      actions={
        <button type="button" class="button button-primary" onClick={close}>
          Done
        </button>
      }
    >
      <div class="stack">
        <p class="notice notice-warning">
          <strong>This is shown only once.</strong> The receiver checks every delivery's <code>webhook-signature</code>{" "}
          with this secret: copy it to the receiver now.
        </p>
        <div class="secret-row">
          <Field label="Signing secret">
            {(control) => (
              <input
                {...control}
                ref={input}
                class="secret-input"
                readOnly
                spellcheck={false}
                value={created?.secret ?? ""}
                onFocus={(e) => e.currentTarget.select()}
              />
            )}
          </Field>
          <button type="button" class="button" onClick={() => void copy()}>
            Copy
          </button>
        </div>
        <p class="muted secret-status" role="status">
          {copied === "yes"
            ? "Copied to the clipboard."
            : copied === "failed"
              ? "The browser did not allow copying; the secret is selected, so press Ctrl+C (⌘C on a Mac)."
              : ""}
        </p>
      </div>
    </Dialog>
  );
}
