// confirm() as a promise, shown in the app's own dialog rather than the browser's.

import { useEffect, useState } from "preact/hooks";
import { Dialog } from "./Dialog";

export interface ConfirmOptions {
  readonly title: string;
  readonly message: string;
  readonly confirmLabel: string;
  readonly cancelLabel?: string;
  readonly danger?: boolean;
}

interface Pending extends ConfirmOptions {
  readonly resolve: (ok: boolean) => void;
}

let show: ((p: Pending | null) => void) | null = null;

export function confirmAction(options: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    if (show === null) {
      resolve(window.confirm(options.message));
      return;
    }
    show({ ...options, resolve });
  });
}

/** Mounted once by the app; renders the pending confirmation. */
export function ConfirmHost() {
  const [pending, setPending] = useState<Pending | null>(null);
  useEffect(() => {
    show = setPending;
    return () => {
      show = null;
    };
  }, []);
  const answer = (ok: boolean): void => {
    pending?.resolve(ok);
    setPending(null);
  };
  return (
    <Dialog
      open={pending !== null}
      title={pending?.title ?? ""}
      onClose={() => answer(false)}
      actions={
        <>
          <button type="button" class="button" onClick={() => answer(false)}>
            {pending?.cancelLabel ?? "Cancel"}
          </button>
          <button
            type="button"
            class={pending?.danger ? "button button-danger" : "button button-primary"}
            onClick={() => answer(true)}
            autoFocus
          >
            {pending?.confirmLabel}
          </button>
        </>
      }
    >
      <p>{pending?.message}</p>
    </Dialog>
  );
}
