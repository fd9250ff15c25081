// Pictures waiting, uploading, being cut, done or refused — run one at a time so
// each picture's progress means something and the server is not flooded. A picture sent
// as a job (see jobs.ts) is done here once uploaded: its progress is the job's.

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { extract, startJob } from "../../api/client";
import { refreshReviewCount } from "../../app/reviewCount";
import { ApiError, explain } from "../../api/problem";
import type { Extraction, Job, Problem } from "../../api/types";
import { chooseJob } from "./jobs";

export type ItemStatus = "ready" | "uploading" | "cutting" | "done" | "queued" | "failed";

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
  /** Sent as a job: the job, and why when it was not asked for. */
  readonly job?: Job;
  readonly jobNote?: string;
}

/** How a run sends its pictures: to a model of `modelPages` pages, everything as a job
 *  when `asJob`; `onJob` hears of every job started. */
export interface RunOptions {
  readonly modelPages: number;
  readonly asJob: boolean;
  readonly onJob?: (job: Job) => void;
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
  const run = useCallback(async (modelId: string, how: RunOptions) => {
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
          job: undefined,
          jobNote: undefined,
        });
        itemsRef.current = itemsRef.current.map((it) => (it.key === item.key ? { ...it, status: "uploading" } : it));
        const choice = chooseJob(item.file, how.modelPages, how.asJob);
        const sendJob = async (note?: string): Promise<void> => {
          patch(item.key, { status: "uploading", progress: 0 });
          const job = await startJob(
            modelId,
            item.file,
            { eachPage: choice.eachPage },
            { onProgress: (p) => patch(item.key, { progress: Math.min(p, 1) }) },
          );
          patch(item.key, { status: "queued", progress: 1, job, jobNote: note });
          how.onJob?.(job);
        };
        try {
          if (choice.job) {
            await sendJob();
            continue;
          }
          try {
            const result = await extract(modelId, item.file, {
              onProgress: (p) => patch(item.key, p >= 1 ? { progress: 1, status: "cutting" } : { progress: p }),
            });
            patch(item.key, { status: "done", progress: 1, result });
          } catch (e) {
            // More than a request may carry (bytes, pages, pixels): a job has room for it.
            if (!(e instanceof ApiError && e.status === 413)) throw e;
            await sendJob("Too large to cut at once, so it was sent as a job.");
          }
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
      const finished = (it: QueueItem): boolean =>
        it.status === "done" || it.status === "queued" || it.status === "failed";
      for (const it of list) if (finished(it)) URL.revokeObjectURL(it.preview);
      const kept = list.filter((it) => !finished(it));
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
