// The one place a request to the API is made and its answer judged: the typed client
// generated from openapi.yaml, errors as ApiError (problem+json) or NetworkError, and
// the news that the server no longer knows who we are (401).

import createClient from "openapi-fetch";
import { ApiError, isProblem, NetworkError } from "./problem";
import type { paths } from "./types";

export const API_BASE = "/api/v1";

export const client = createClient<paths>({ baseUrl: "" });

// ----- 401: signed out ---------------------------------------------------------------------

const unauthorizedListeners = new Set<() => void>();

/** Called for every 401 answer; the session store decides what it means. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** An API answer said 401: tell whoever keeps the session. */
export function reportUnauthorized(): void {
  for (const listener of unauthorizedListeners) listener();
}

const signedInAgainListeners = new Set<() => void>();

/** Called when a person signs in again after their session ended, so that what failed
 *  for want of a session can be loaded again. */
export function onSignedInAgain(listener: () => void): () => void {
  signedInAgainListeners.add(listener);
  return () => signedInAgainListeners.delete(listener);
}

export function reportSignedInAgain(): void {
  for (const listener of signedInAgainListeners) listener();
}

/** An ApiError for a failed answer, reporting a 401 on the way. */
export function failure(status: number, body: unknown, retryAfter: string | null): ApiError {
  if (status === 401) reportUnauthorized();
  return new ApiError(status, isProblem(body) ? body : null, retryAfter);
}

// ----- JSON calls ----------------------------------------------------------------------------

interface Result<T> {
  readonly data?: T;
  readonly error?: unknown;
  readonly response: Response;
}

export async function call<T>(request: () => Promise<Result<T>>): Promise<{ data: T; response: Response }> {
  let result: Result<T>;
  try {
    result = await request();
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new NetworkError();
  }
  const { data, error, response } = result;
  if (!response.ok || error !== undefined) {
    throw failure(response.status, error, response.headers.get("retry-after"));
  }
  return { data: data as T, response };
}

/** A plain GET of one of the API's files (pictures, crops), judged like the calls above. */
export async function fetchFile(url: string, signal?: AbortSignal): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(url, signal ? { signal } : {});
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new NetworkError();
  }
  if (!response.ok) {
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      // not a problem document: the status says enough
    }
    throw failure(response.status, body, response.headers.get("retry-after"));
  }
  return response.blob();
}
