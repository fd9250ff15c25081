// A secret shown this once in a dialog, with a "Copy" button that falls back to selecting
// it for Ctrl+C; what surrounds it (the warning, how to use it) is the caller's.

import type { ComponentChildren } from "preact";
import { useRef, useState } from "preact/hooks";
import { Dialog } from "./Dialog";
import { Field } from "./Field";

export interface SecretShownOnceProps {
  /** The secret; null while the dialog is closed. */
  secret: string | null;
  title: string;
  /** The field's label, e.g. "Secret". */
  label: string;
  /** What the secret is called in the fallback hint, e.g. "the key". */
  what: string;
  /** The warning above the secret. */
  warning: ComponentChildren;
  /** Anything to say below it (how to use it). */
  children?: ComponentChildren;
  onClose: () => void;
}

export function SecretShownOnce({ secret, title, label, what, warning, children, onClose }: SecretShownOnceProps) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"no" | "yes" | "failed">("no");

  const copy = async (): Promise<void> => {
    if (secret === null) return;
    try {
      await navigator.clipboard.writeText(secret);
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
      open={secret !== null}
      title={title}
      onClose={close}
      wide
      actions={
        <button type="button" class="button button-primary" onClick={close}>
          Done
        </button>
      }
    >
      <div class="stack">
        <p class="notice notice-warning">{warning}</p>
        <div class="secret-row">
          <Field label={label}>
            {(control) => (
              <input
                {...control}
                ref={input}
                class="secret-input"
                readOnly
                spellcheck={false}
                value={secret ?? ""}
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
              ? `The browser did not allow copying; ${what} is selected, so press Ctrl+C (⌘C on a Mac).`
              : ""}
        </p>
        {children}
      </div>
    </Dialog>
  );
}
