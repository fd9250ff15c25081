// Multipart uploads with progress. fetch() cannot report upload progress, so these
// go through XMLHttpRequest; answers and errors come back as from the JSON client,
// a 401 included.

import { failure } from "./http";
import { NetworkError } from "./problem";

export interface UploadOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /** Fraction of the request body sent, 0..1. */
  readonly onProgress?: (fraction: number) => void;
  readonly signal?: AbortSignal;
}

export function sendForm<T>(
  method: "POST" | "PUT",
  url: string,
  form: FormData,
  options: UploadOptions = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.setRequestHeader("Accept", "application/json");
    for (const [name, value] of Object.entries(options.headers ?? {})) xhr.setRequestHeader(name, value);
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable && e.total > 0) options.onProgress?.(e.loaded / e.total);
    });
    xhr.addEventListener("load", () => {
      const body: unknown = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else reject(failure(xhr.status, body, xhr.getResponseHeader("Retry-After")));
    });
    xhr.addEventListener("error", () => reject(new NetworkError()));
    xhr.addEventListener("abort", () => reject(new DOMException("cancelled", "AbortError")));
    options.signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}
