// The person's jobs, from the server: a progress bar each, polled while any is still
// queued or running, so that leaving the page or reloading it loses nothing.

import { useEffect, useState } from "preact/hooks";
import { cancelJob, listJobs } from "../../api/client";
import { detailOf } from "../../api/problem";
import type { Job } from "../../api/types";
import { routes } from "../../app/router";
import { confirmAction } from "../../components/confirm";
import { Notice } from "../../components/Notice";
import { formatExact, formatWhen } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { describeProgress, isActive } from "./jobs";

const POLL_MS = 1000;

const STATUS: Record<Job["status"], string> = {
  queued: "Queued",
  running: "Cutting…",
  done: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
};

const BADGE: Record<Job["status"], string> = {
  queued: "badge-uploading",
  running: "badge-cutting",
  done: "badge-done",
  failed: "badge-failed",
  cancelled: "",
};

/** `started` changes whenever this page started a job: the list is read again at once. */
export function JobList({ started }: { started: number }) {
  const jobs = useAsync(() => listJobs(10), [started]);
  const [error, setError] = useState<unknown>(null);
  const items = jobs.data?.items ?? [];
  const active = items.some(isActive);

  useEffect(() => {
    if (!active) return;
    const timer = window.setTimeout(jobs.reload, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [active, jobs.data, jobs.reload]);

  const cancel = async (job: Job): Promise<void> => {
    const ok = await confirmAction({
      title: `Cancel the job of ${job.filename}?`,
      message: "It stops before its next page. What it has filed so far stays filed.",
      confirmLabel: "Cancel the job",
      cancelLabel: "Keep it running",
      danger: true,
    });
    if (!ok) return;
    setError(null);
    try {
      await cancelJob(job.id);
    } catch (e) {
      setError(e);
    }
    jobs.reload();
  };

  if (items.length === 0) return null;
  return (
    <section class="extract-jobs card" id="jobs" aria-labelledby="jobs-title">
      <div class="section-head">
        <h2 id="jobs-title">Jobs</h2>
        <span class="muted">Cut in the background: you may leave this page.</span>
      </div>
      {error !== null && <Notice kind="error">{detailOf(error)}</Notice>}
      {jobs.error !== undefined && <Notice kind="error">{detailOf(jobs.error)}</Notice>}
      <ul class="job-list">
        {items.map((job) => {
          const progress = describeProgress(job);
          return (
            <li key={job.id} class={`job-item is-${job.status}`}>
              <div class="job-item-line">
                <strong class="job-name">{job.filename}</strong>
                {job.parts > 1 && <span class="muted">and {job.parts - 1} more</span>}
                <span class="muted">{job.model_name}</span>
                <span class={`badge ${BADGE[job.status]}`}>{STATUS[job.status]}</span>
                <time class="muted job-when" dateTime={job.created_at} title={formatExact(job.created_at)}>
                  {formatWhen(job.created_at)}
                </time>
                {isActive(job) && (
                  <button
                    type="button"
                    class="button button-small button-quiet-danger"
                    aria-label={`Cancel the job of ${job.filename}`}
                    onClick={() => void cancel(job)}
                  >
                    Cancel
                  </button>
                )}
              </div>
              <progress
                class="progress"
                max={job.progress.total ?? 1}
                value={job.progress.total === null || job.progress.total === undefined ? undefined : job.progress.done}
                aria-label={`Progress of ${job.filename}: ${progress}`}
              />
              <p class="muted job-figures">
                {progress} · {job.filed} filed · {job.refused} refused
                {job.refused > 0 && (
                  <>
                    {" "}
                    · <a href={routes.review()}>review the refused</a>
                  </>
                )}
                {job.status === "failed" && job.error && <> · {job.error}</>}
              </p>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
