// The frame of the pages a person sees before they are signed in: one centred card.

import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";

export function AuthCard({
  title,
  lead,
  children,
}: {
  title: string;
  lead?: ComponentChildren;
  children: ComponentChildren;
}) {
  useEffect(() => {
    const before = document.title;
    document.title = `${title} — Zonecut`;
    return () => {
      document.title = before;
    };
  }, [title]);
  return (
    <main class="auth-page">
      <section class="auth-card card" aria-labelledby="auth-title">
        <h1 id="auth-title">{title}</h1>
        {lead !== undefined && <p class="auth-lead">{lead}</p>}
        {children}
      </section>
    </main>
  );
}
