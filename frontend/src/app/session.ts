// Who is signed in, as a small store: asked once at start (GET /auth/me) and after each
// sign-in; any 401 from the API while signed in means the session has ended. The
// transitions are a pure function, so they can be tested without a server.

import { useEffect, useState } from "preact/hooks";
import { completeSetup, getMe, login, logout } from "../api/access";
import { onUnauthorized, reportSignedInAgain } from "../api/http";
import { ApiError } from "../api/problem";
import type { Me, Role } from "../api/types";

export type SessionState =
  | { readonly status: "loading" }
  /** The server could not be asked at start. */
  | { readonly status: "failed"; readonly error: unknown }
  /** `ended`: who was signed in when the server stopped knowing them (else null). */
  | { readonly status: "signedOut"; readonly ended: Me | null }
  | { readonly status: "signedIn"; readonly me: Me };

export type SessionEvent =
  | { readonly kind: "loading" }
  | { readonly kind: "found"; readonly me: Me }
  | { readonly kind: "absent" }
  | { readonly kind: "failed"; readonly error: unknown }
  /** Some API call was answered 401. */
  | { readonly kind: "unauthorized" };

export function nextSession(state: SessionState, event: SessionEvent): SessionState {
  switch (event.kind) {
    case "loading":
      return { status: "loading" };
    case "found":
      return { status: "signedIn", me: event.me };
    case "absent":
      return { status: "signedOut", ended: null };
    case "failed":
      return state.status === "loading" ? { status: "failed", error: event.error } : state;
    case "unauthorized":
      // A wrong password while signed out, or a late answer after signing out, changes nothing.
      return state.status === "signedIn" ? { status: "signedOut", ended: state.me } : state;
  }
}

// ----- roles ------------------------------------------------------------------------------

const RANK: Readonly<Record<Role, number>> = { operator: 0, editor: 1, admin: 2 };

/** admin ⊃ editor ⊃ operator. */
export const hasRole = (me: Me | null, role: Role): boolean => me !== null && RANK[me.role] >= RANK[role];

/** Who the pages are for: the signed-in person, or the one whose session just ended
 *  (their page stays, hidden, so unsaved work survives signing in again). */
export function owner(state: SessionState): Me | null {
  if (state.status === "signedIn") return state.me;
  if (state.status === "signedOut") return state.ended;
  return null;
}

// ----- the store ----------------------------------------------------------------------------

let state: SessionState = { status: "loading" };
const listeners = new Set<() => void>();

function dispatch(event: SessionEvent): void {
  const before = state;
  state = nextSession(state, event);
  if (state === before) return;
  if (before.status === "signedOut" && before.ended !== null && state.status === "signedIn") reportSignedInAgain();
  for (const listener of listeners) listener();
}

onUnauthorized(() => dispatch({ kind: "unauthorized" }));

export const currentSession = (): SessionState => state;

export function useSession(): SessionState {
  const [value, setValue] = useState(state);
  useEffect(() => {
    const update = (): void => setValue(state);
    listeners.add(update);
    update();
    return () => listeners.delete(update);
  }, []);
  return value;
}

/** The person the pages are for, and what their role lets them do. */
export function useAccess(): { me: Me | null; canEdit: boolean; isAdmin: boolean } {
  const me = owner(useSession());
  return { me, canEdit: hasRole(me, "editor"), isAdmin: hasRole(me, "admin") };
}

/** Asks the server who we are (at start, and to try again after a failure). */
export async function loadSession(): Promise<void> {
  dispatch({ kind: "loading" });
  try {
    dispatch({ kind: "found", me: await getMe() });
  } catch (e) {
    dispatch(e instanceof ApiError && e.status === 401 ? { kind: "absent" } : { kind: "failed", error: e });
  }
}

/** Signs in; a wrong password or a throttled name is thrown for the form to show. */
export async function signIn(username: string, password: string): Promise<void> {
  await login(username, password);
  dispatch({ kind: "found", me: await getMe() });
}

/** Creates the first admin with the setup link's token and signs them in. */
export async function setUp(token: string, username: string, password: string): Promise<void> {
  await completeSetup(token, username, password);
  dispatch({ kind: "found", me: await getMe() });
}

export async function signOut(): Promise<void> {
  await logout();
  dispatch({ kind: "absent" });
}

/** Asks again who we are after a change to one's own account (a 401 signs out). */
export async function refreshSession(): Promise<void> {
  try {
    dispatch({ kind: "found", me: await getMe() });
  } catch {
    // a 401 has been reported already; anything else leaves the session as it was
  }
}
