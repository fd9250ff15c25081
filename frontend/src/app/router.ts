// A small History API router: the current path as a signal-like store, link
// interception, and a guard that may hold navigation back (unsaved changes).

import { useEffect, useState } from "preact/hooks";

export { parseRoute, routes, setupToken, type Route } from "./routes";

type Guard = () => Promise<boolean>;

let current = location.pathname + location.search;
const listeners = new Set<() => void>();
let guard: Guard | null = null;

function emit(): void {
  current = location.pathname + location.search;
  for (const listener of listeners) listener();
}

/** While set, every navigation asks `g` first; it resolves true to go on. */
export function setNavigationGuard(g: Guard | null): void {
  guard = g;
}

/** Goes to `to`; false when the guard held the navigation back. */
export async function navigate(to: string, options: { replace?: boolean } = {}): Promise<boolean> {
  if (to === current) return true;
  if (guard !== null && !(await guard())) return false;
  if (options.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  window.scrollTo(0, 0);
  emit();
  return true;
}

let restoring = false;
window.addEventListener("popstate", () => {
  if (restoring) {
    restoring = false;
    return;
  }
  if (guard === null) {
    emit();
    return;
  }
  // Put the page back, ask, and go only if allowed.
  const target = location.pathname + location.search;
  restoring = true;
  history.pushState(null, "", current);
  restoring = false;
  void guard().then((ok) => {
    if (ok) {
      history.replaceState(null, "", target);
      emit();
    }
  });
});

/** Same-origin link clicks become client-side navigation. */
document.addEventListener("click", (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target instanceof Element ? e.target.closest("a") : null;
  if (a === null || a.target !== "" || a.hasAttribute("download")) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  e.preventDefault();
  void navigate(url.pathname + url.search);
});

export function usePath(): string {
  const [path, setPath] = useState(current);
  useEffect(() => {
    const update = (): void => setPath(current);
    listeners.add(update);
    return () => listeners.delete(update);
  }, []);
  return path;
}
