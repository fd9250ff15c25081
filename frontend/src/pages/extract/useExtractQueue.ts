// Pictures waiting, uploading, being cut, done or refused — run one at a time so
// each picture's progress means something and the server is not flooded.

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { extract } from "../../api/client";
import { refreshReviewCount } from "../../app/reviewCount";
import { ApiError, explain } from "../../api/problem";
import type { Extraction, Problem } from "../../api/types";

export type ItemStatus = "ready" | "uploading" | "cutting" | "done" | "failed";

export interface QueueItem {
  readonly key: number;
  readonly file: File;
  readonly preview: string;
  readonly status: ItemStatus;
  /** Upload progress, 0..1. */
  readonly progress: number;
  readonly modelId: string | null;
  readonly result?: Extraction;
  readonly error?: string;
  /** The measurements behind a refusal (alignment confidence), when the server sent them. */
  readonly errorFigures?: Problem["figures"];
  /** A refusal kept for a person to place the zones by hand: its review item. */
  readonly reviewId?: string;
}

let nextKey = 1;

export function useExtractQueue() {
  const [items, setItems] = useState<QueueItem[]>([]);
  const running = useRef(false);
  const itemsRef = useRef(items);
  itemsRef.current = items;

  const patch = (key: number, change: Partial<QueueItem>): void =>
    setItems((list) => list.map((it) => (it.key === key ? { ...it, ...change } : it)));

  const add = useCallback((files: readonly File[]) => {
    const added = files.map<QueueItem>((file) => ({
      key: nextKey++,
      file,
      preview: URL.createObjectURL(file),
      status: "ready",
      progress: 0,
      modelId: null,
    }));
    setItems((list) => [...list, ...added]);
    itemsRef.current = [...itemsRef.current, ...added];
  }, []);

  /** Cuts every picture that is ready (or failed, to try again) with `modelId`. */
  const run = useCallback(async (modelId: string) => {
    if (running.current) return;
    running.current = true;
    try {
      for (;;) {
        const item = itemsRef.current.find((it) => it.status === "ready");
        if (item === undefined) break;
        patch(item.key, {
          status: "uploading",
          progress: 0,
          modelId,
          error: undefined,
          errorFigures: undefined,
          reviewId: undefined,
        });
        itemsRef.current = itemsRef.current.map((it) => (it.key === item.key ? { ...it, status: "uploading" } : it));
        try {
          const result = await extract(modelId, item.file, {
            onProgress: (p) => patch(item.key, p >= 1 ? { progress: 1, status: "cutting" } : { progress: p }),
          });
          patch(item.key, { status: "done", progress: 1, result });
        } catch (e) {
          const reviewId = (e instanceof ApiError ? e.problem?.review_id : null) ?? undefined;
          patch(item.key, {
            status: "failed",
            error: explain(e),
            errorFigures: e instanceof ApiError ? e.problem?.figures : undefined,
            reviewId,
          });
          if (reviewId !== undefined) void refreshReviewCount();
        }
      }
    } finally {
      running.current = false;
    }
  }, []);

  const retryFailed = useCallback(() => {
    const list = itemsRef.current.map((it) =>
      it.status === "failed" ? { ...it, status: "ready" as const, error: undefined, errorFigures: undefined } : it,
    );
    itemsRef.current = list;
    setItems(list);
  }, []);

  const clearFinished = useCallback(() => {
    setItems((list) => {
      for (const it of list) if (it.status === "done" || it.status === "failed") URL.revokeObjectURL(it.preview);
      const kept = list.filter((it) => it.status !== "done" && it.status !== "failed");
      itemsRef.current = kept;
      return kept;
    });
  }, []);

  const remove = useCallback((key: number) => {
    setItems((list) => {
      const gone = list.find((it) => it.key === key);
      if (gone) URL.revokeObjectURL(gone.preview);
      const kept = list.filter((it) => it.key !== key);
      itemsRef.current = kept;
      return kept;
    });
  }, []);

  useEffect(() => () => itemsRef.current.forEach((it) => URL.revokeObjectURL(it.preview)), []);

  return {
    items,
    add,
    run,
    retryFailed,
    clearFinished,
    remove,
    busy: items.some((it) => it.status === "uploading" || it.status === "cutting"),
  };
}
