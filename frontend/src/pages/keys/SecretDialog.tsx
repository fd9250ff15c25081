// A new key's secret, shown this once with a "Copy" button; Zonecut keeps only its hash.

import { useRef, useState } from "preact/hooks";
import type { ApiKeyCreated } from "../../api/types";
import { Dialog } from "../../components/Dialog";
import { Field } from "../../components/Field";

export function SecretDialog({ created, onClose }: { created: ApiKeyCreated | null; onClose: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"no" | "yes" | "failed">("no");

  const copy = async (): Promise<void> => {
    if (created === null) return;
    try {
      await navigator.clipboard.writeText(created.secret);
      setCopied("yes");
    } catch {
      // Without clipboard access (an http page, a refused permission) select it for Ctrl+C.
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
      title={`API key “${created?.name ?? ""}” created`}
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
          <strong>This is shown only once.</strong> Copy the key now and keep it somewhere safe: Zonecut stores only a
          hash of it and cannot show it again. If it is lost, revoke it and make a new one.
        </p>
        <div class="secret-row">
          <Field label="Secret">
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
              ? "The browser did not allow copying; the key is selected, so press Ctrl+C (⌘C on a Mac)."
              : ""}
        </p>
        <p class="muted">
          Send it as <code>Authorization: Bearer {created?.prefix ?? "zc_"}…</code>, or give it to the command line as{" "}
          <code>--api-key</code> or <code>ZONECUT_API_KEY</code>.
        </p>
      </div>
    </Dialog>
  );
}
