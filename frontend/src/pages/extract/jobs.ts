// Which pictures the Extract page sends as jobs (cut in the background, followed under
// "Jobs") rather than waiting for the cut: what the person asks for, and documents the
// model can only cut page by page.

import type { Job } from "../../api/types";

/** PDF and TIFF files may hold many pages (by their type or, when the browser gives none, their name). */
export function isDocument(file: Pick<File, "name" | "type">): boolean {
  return file.type === "application/pdf" || file.type === "image/tiff" || /\.(pdf|tiff?)$/i.test(file.name.trim());
}

export interface JobChoice {
  /** Sent as a job rather than cut while the page waits. */
  readonly job: boolean;
  /** Every page of the document cut as its own picture (`pages=each`). */
  readonly eachPage: boolean;
}

/**
 * How to send `file` to a model of `modelPages` pages. A document for a model of one page
 * is cut page by page, as a job: the scanner's batch of hundreds of pages it usually is
 * would hold the page for minutes, or pass the pages a request may have. `asJob` (the
 * "Run as a job" box) sends everything as a job.
 */
export function chooseJob(file: Pick<File, "name" | "type">, modelPages: number, asJob: boolean): JobChoice {
  const pageByPage = isDocument(file) && modelPages === 1;
  return { job: asJob || pageByPage, eachPage: pageByPage };
}

/** Whether a job may still change (a worker has it, or will take it up). */
export const isActive = (job: Pick<Job, "status">): boolean => job.status === "queued" || job.status === "running";

/** "12 of 300 pages" ("items" for a job of several files), "12 pages so far" before the
 *  pages are counted. */
export function describeProgress(job: Pick<Job, "progress" | "parts">): string {
  const [one, many] = job.parts > 1 ? ["item", "items"] : ["page", "pages"];
  const { done, total } = job.progress;
  if (total === null || total === undefined) return done === 0 ? `counting the ${many}…` : `${done} ${many} so far`;
  return `${done} of ${total} ${total === 1 ? one : many}`;
}
