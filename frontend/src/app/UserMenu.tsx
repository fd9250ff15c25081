// The header's account button: who is signed in, with which role, and "Sign out".

import { useEffect, useId, useRef, useState } from "preact/hooks";
import { explain } from "../api/problem";
import type { Me } from "../api/types";
import { ROLE_SUMMARY, RoleBadge } from "../components/RoleBadge";
import { navigate, routes } from "./router";
import { signOut } from "./session";

export function UserMenu({ me }: { me: Me }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const panelId = useId();

  useEffect(() => {
    if (!open) return;
    const outside = (e: PointerEvent): void => {
      if (e.target instanceof Node && !root.current?.contains(e.target)) setOpen(false);
    };
    const escape = (e: KeyboardEvent): void => {
      if (e.key !== "Escape") return;
      setOpen(false);
      button.current?.focus();
    };
    document.addEventListener("pointerdown", outside);
    document.addEventListener("keydown", escape);
    return () => {
      document.removeEventListener("pointerdown", outside);
      document.removeEventListener("keydown", escape);
    };
  }, [open]);

  const leave = async (): Promise<void> => {
    // Unsaved changes are asked about first; staying keeps the session too.
    if (!(await navigate(routes.models()))) return;
    setBusy(true);
    setError(null);
    try {
      await signOut();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <div class="user-menu" ref={root}>
      <button
        ref={button}
        type="button"
        class="user-menu-button"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((o) => !o)}
      >
        <span class="avatar" aria-hidden="true">
          {me.name.slice(0, 1).toUpperCase()}
        </span>
        <span class="user-menu-name">{me.name}</span>
        <RoleBadge role={me.role} />
        <svg viewBox="0 0 12 12" width="10" height="10" aria-hidden="true">
          <path d="M2 4l4 4 4-4" fill="none" stroke="currentColor" stroke-width="1.6" />
        </svg>
      </button>
      <div class="user-menu-panel card" id={panelId} hidden={!open}>
        <p class="user-menu-who">
          Signed in as <strong>{me.name}</strong>
        </p>
        <p class="muted user-menu-role">
          <RoleBadge role={me.role} /> {ROLE_SUMMARY[me.role]}
        </p>
        {error !== null && <p class="field-error">{explain(error)}</p>}
        <button
          type="button"
          class="button button-small user-menu-sign-out"
          onClick={() => void leave()}
          disabled={busy}
        >
          Sign out
        </button>
      </div>
    </div>
  );
}
