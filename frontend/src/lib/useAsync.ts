import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { onSignedInAgain } from "../api/http";
import { ApiError } from "../api/problem";

export interface AsyncState<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  readonly reload: () => void;
  readonly setData: (data: T) => void;
}

/** Loads `load()` when `deps` change; the last answer wins. A load refused for want of a
 *  session (401) runs again once the person has signed in again. */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const errorRef = useRef<unknown>(undefined);
  errorRef.current = error;
  useEffect(() => {
    let live = true;
    setLoading(true);
    load().then(
      (value) => {
        if (!live) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (!live) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(
    () =>
      onSignedInAgain(() => {
        if (errorRef.current instanceof ApiError && errorRef.current.status === 401) reload();
      }),
    [reload],
  );
  return { data, error, loading, reload, setData };
}
