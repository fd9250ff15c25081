// How many review items are open: shown as a badge in the navigation, refreshed after
// a cut or discard and whenever the Extract page gets a refusal kept for review.

import { useEffect, useState } from "preact/hooks";
import { listReviews } from "../api/client";

let count: number | null = null;
const listeners = new Set<() => void>();

function set(value: number | null): void {
  count = value;
  for (const listener of listeners) listener();
}

/** Tells everyone the count the server just gave (a list's `total`). */
export function setReviewCount(value: number): void {
  set(value);
}

/** Asks the server again; a failure leaves the badge as it was. */
export async function refreshReviewCount(): Promise<void> {
  try {
    const page = await listReviews({ status: "open", limit: 1 });
    set(page.total);
  } catch {
    // the badge is a convenience: the Review page shows the errors
  }
}

export function useReviewCount(): number | null {
  const [value, setValue] = useState(count);
  useEffect(() => {
    const update = (): void => setValue(count);
    listeners.add(update);
    update();
    return () => {
      listeners.delete(update);
    };
  }, []);
  return value;
}
