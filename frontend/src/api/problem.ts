// Errors from the API (RFC 9457 problem+json) and their explanation in plain words.

import type { FieldError, Problem } from "./types";

export class ApiError extends Error {
  /** Seconds to wait before trying again (a 429's or 503's Retry-After), if given. */
  readonly retryAfter: number | null;

  constructor(
    readonly status: number,
    readonly problem: Problem | null,
    retryAfter: string | null = null,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.name = "ApiError";
    this.retryAfter = parseRetryAfter(retryAfter);
  }

  get fieldErrors(): readonly FieldError[] {
    return this.problem?.errors ?? [];
  }

  /** The problem type's last segment, e.g. "aspect-ratio-mismatch". */
  get slug(): string {
    const type = this.problem?.type ?? "";
    return type.slice(type.lastIndexOf("/") + 1);
  }
}

/** The server could not be reached at all. */
export class NetworkError extends Error {
  constructor() {
    super("The Zonecut server cannot be reached. Check that it is running, then try again.");
    this.name = "NetworkError";
  }
}

/** A Retry-After header in seconds: delta-seconds, or an HTTP date from `now`. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

export function isProblem(value: unknown): value is Problem {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { status?: unknown }).status === "number" &&
    typeof (value as { title?: unknown }).title === "string"
  );
}

/** A first sentence for each kind of problem; the server's detail follows it. */
const BY_SLUG: Record<string, string> = {
  "not-found": "It is not there any more; it may have been deleted.",
  conflict: "That name is already taken.",
  "precondition-failed": "Someone else changed this in the meantime.",
  "too-large": "The file is too large for this server.",
  "unsupported-picture": "This file is not a picture Zonecut can read. Use JPEG, PNG, WebP, TIFF, BMP, GIF or HEIC.",
  "undecodable-picture": "This file could not be read as a picture; it may be damaged or cut short.",
  "zone-does-not-fit": "A zone does not fit inside the picture.",
  "unknown-import-format": "Zonecut does not know this kind of file.",
  "ambiguous-import": "The file describes several pictures, and Zonecut cannot tell which one you sent.",
  "nothing-to-import": "Nothing in the file can become a zone.",
  "validation-error": "Some values were not accepted.",
  unavailable: "The server is not ready. Try again in a moment.",
  unauthorized: "You are not signed in any more. Sign in, then try again.",
  forbidden: "Your role does not allow this.",
  "too-many-requests": "Too many attempts.",
  "internal-error": "The server failed. It has logged the error.",
};

const BY_STATUS: Record<number, string> = {
  400: "The request was not understood.",
  401: BY_SLUG["unauthorized"] ?? "",
  403: BY_SLUG["forbidden"] ?? "",
  404: BY_SLUG["not-found"] ?? "",
  409: BY_SLUG["conflict"] ?? "",
  412: BY_SLUG["precondition-failed"] ?? "",
  413: BY_SLUG["too-large"] ?? "",
  415: BY_SLUG["unsupported-picture"] ?? "",
  422: "The server could not accept this.",
  429: BY_SLUG["too-many-requests"] ?? "",
  500: BY_SLUG["internal-error"] ?? "",
  503: BY_SLUG["unavailable"] ?? "",
};

function lead(error: ApiError): string {
  const detail = error.problem?.detail ?? "";
  if (error.slug === "picture-does-not-match") {
    return /aspect|shape|ratio/i.test(detail)
      ? "This picture has a different shape from the model's reference picture, so its zones would land in the wrong places and nothing was cut."
      : "Zonecut could not line this picture up with the model's reference picture with confidence, so nothing was cut.";
  }
  return (
    BY_SLUG[error.slug] ?? BY_STATUS[error.status] ?? error.problem?.title ?? `The server answered ${error.status}.`
  );
}

/** One or two sentences a person can act on. */
export function explain(error: unknown): string {
  if (error instanceof NetworkError) return error.message;
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  const first = lead(error);
  const detail = error.problem?.detail?.trim() ?? "";
  // A 401's detail only says again what the first sentence says.
  if (detail === "" || error.fieldErrors.length > 0 || error.status === 401) return first;
  return `${first} ${sentence(detail)}`;
}

/** The server's own words for a problem, as a sentence; `explain()` when it gave none. */
export function detailOf(error: unknown): string {
  const detail = error instanceof ApiError ? (error.problem?.detail?.trim() ?? "") : "";
  return detail === "" ? explain(error) : sentence(detail);
}

function sentence(text: string): string {
  return `${capitalise(text)}${/[.!?)]$/.test(text) ? "" : "."}`;
}

function capitalise(s: string): string {
  return s === "" ? s : s[0]?.toUpperCase() + s.slice(1);
}
