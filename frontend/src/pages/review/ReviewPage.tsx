// Review: pictures refused as not matching, kept for a person to place the model's
// page by hand. One item at a time: drag the four page corners until the zones sit
// right, then Cut (files the crops like an extraction) or Discard (editors: it deletes
// the picture).

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { discardReview, getModel, getReview, listReviews, resolveReview } from "../../api/client";
import { detailOf, explain } from "../../api/problem";
import type { Extraction, Review } from "../../api/types";
import { refreshReviewCount, setReviewCount } from "../../app/reviewCount";
import { routes } from "../../app/router";
import { useAccess } from "../../app/session";
import { confirmAction } from "../../components/confirm";
import { Notice } from "../../components/Notice";
import { formatBytes, formatCount, formatExact, formatWhen } from "../../lib/format";
import { applyHomography, asMatrix3, isConvexClockwise, rectCorners, type Quad } from "../../lib/homography";
import { useAsync } from "../../lib/useAsync";
import { CropsByFolder } from "../extract/CropsByFolder";
import { describeRefusalFigures } from "../extract/describeTransform";
import { initialCorners, reasonText } from "./placement";
import { ReviewCanvas } from "./ReviewCanvas";

const STATUS: Record<Review["status"], string> = { open: "Open", resolved: "Cut", discarded: "Discarded" };

/** Keys typed into these are theirs, not the page's. */
function isField(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable ||
      target instanceof HTMLInputElement ||
      target instanceof HTMLTextAreaElement ||
      target instanceof HTMLSelectElement)
  );
}

interface Filed {
  readonly filename: string;
  readonly extraction: Extraction;
}

async function loadQueue(itemId: string | null): Promise<{ items: Review[]; total: number }> {
  const page = await listReviews({ status: "open", limit: 200 });
  setReviewCount(page.total);
  let items = page.items;
  if (itemId !== null && !items.some((it) => it.id === itemId)) {
    // Asked for by address but not open (decided already) or beyond the first page.
    try {
      items = [await getReview(itemId), ...items];
    } catch {
      // gone: the queue alone is shown
    }
  }
  return { items, total: page.total };
}

export function ReviewPage({ initialItemId }: { initialItemId: string | null }) {
  const { canEdit } = useAccess();
  const queue = useAsync(() => loadQueue(initialItemId), [initialItemId]);
  const items = queue.data?.items ?? [];
  const [index, setIndex] = useState(0);
  const [busy, setBusy] = useState<"cut" | "discard" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filed, setFiled] = useState<Filed | null>(null);
  const [discarded, setDiscarded] = useState<string | null>(null);
  const [placement, setPlacement] = useState<{ key: string; corners: Quad } | null>(null);

  // Open the item in the address once the queue is in.
  const opened = useRef(false);
  useEffect(() => {
    if (opened.current || queue.data === undefined) return;
    opened.current = true;
    const at = initialItemId === null ? -1 : queue.data.items.findIndex((it) => it.id === initialItemId);
    if (at >= 0) setIndex(at);
  }, [queue.data, initialItemId]);

  const at = Math.min(index, Math.max(0, items.length - 1));
  const item: Review | undefined = items[at];
  const model = useAsync(
    () => (item?.model_id ? getModel(item.model_id) : Promise.resolve(null)),
    [item?.model_id ?? null],
  );
  const reference = model.data?.image ?? null;
  const key = item && reference ? `${item.id}:${model.data?.id}` : "";
  const corners: Quad | null =
    item && reference ? (placement?.key === key ? placement.corners : initialCorners(item, reference)) : null;
  const folderOrder = useMemo(() => [...new Set((model.data?.zones ?? []).map((z) => z.folder))], [model.data]);
  const canDecide = item !== undefined && item.status === "open" && busy === null;
  // A document of several pages is placed page by page, which this page does not offer
  // yet: it can be discarded, not cut by hand here.
  const pageCount = Math.max(model.data?.image.pages.length ?? 1, item?.source.pages ?? 1);
  const canCut = canDecide && corners !== null && model.data !== null && model.data !== undefined && pageCount === 1;

  const go = (to: number): void => {
    if (items.length === 0) return;
    setIndex(Math.max(0, Math.min(items.length - 1, to)));
    setError(null);
  };

  /** The decided item leaves the queue; the next one takes its place. */
  const drop = (id: string): void => {
    if (queue.data === undefined) return;
    const rest = queue.data.items.filter((it) => it.id !== id);
    queue.setData({ items: rest, total: Math.max(0, queue.data.total - 1) });
    setPlacement(null);
    void refreshReviewCount();
  };

  const cut = async (): Promise<void> => {
    if (!canCut || item === undefined || corners === null) return;
    setBusy("cut");
    setError(null);
    setDiscarded(null);
    try {
      const extraction = await resolveReview(item.id, corners);
      setFiled({ filename: item.source.filename, extraction });
      drop(item.id);
    } catch (e) {
      setError(detailOf(e));
    } finally {
      setBusy(null);
    }
  };

  const discard = async (): Promise<void> => {
    if (!canDecide || item === undefined) return;
    const ok = await confirmAction({
      title: "Discard this picture?",
      message: `${item.source.filename} leaves the review queue without being cut. This cannot be undone.`,
      confirmLabel: "Discard",
      danger: true,
    });
    if (!ok) return;
    setBusy("discard");
    setError(null);
    try {
      await discardReview(item.id);
      setDiscarded(item.source.filename);
      setFiled(null);
      drop(item.id);
    } catch (e) {
      setError(detailOf(e));
    } finally {
      setBusy(null);
    }
  };

  // J / K: next / previous; Enter: cut — while no field or dialog has the keys.
  const keys = useRef({ go, cut, at });
  keys.current = { go, cut, at };
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isField(e.target)) return;
      if (document.querySelector("dialog[open]") !== null) return;
      const k = keys.current;
      if (e.key === "j" || e.key === "J") {
        e.preventDefault();
        k.go(k.at + 1);
      } else if (e.key === "k" || e.key === "K") {
        e.preventDefault();
        k.go(k.at - 1);
      } else if (e.key === "Enter") {
        // Enter on a button or link is that control's own, except on a corner handle.
        const t = e.target;
        if (
          (t instanceof HTMLButtonElement && !t.classList.contains("review-handle")) ||
          t instanceof HTMLAnchorElement
        )
          return;
        e.preventDefault();
        void k.cut();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const figures = item ? describeRefusalFigures(item.figures) : null;

  return (
    <main class="page review-page">
      <div class="page-head">
        <h1>Review</h1>
        {items.length > 0 && (
          <span class="muted review-position" aria-live="polite">
            Item {at + 1} of {items.length}
          </span>
        )}
      </div>
      <p class="lead">
        Pictures a model refused as not matching. Drag the page's four corners until the zones sit right, then cut.
      </p>
      {queue.error !== undefined && <Notice kind="error">{explain(queue.error)}</Notice>}
      {filed !== null && (
        <section class="review-filed card" aria-label="Filed crops">
          <Notice kind="success">
            Cut {filed.filename}: {formatCount(filed.extraction.crops.length, "crop")} filed.
          </Notice>
          <CropsByFolder crops={filed.extraction.crops} folderOrder={folderOrder} />
        </section>
      )}
      {discarded !== null && <Notice kind="info">Discarded {discarded}.</Notice>}
      {queue.loading && queue.data === undefined && (
        <p class="muted" aria-busy="true">
          Loading the review queue…
        </p>
      )}
      {queue.data !== undefined && item === undefined && (
        <div class="empty-state card review-empty">
          <h2>Nothing to review</h2>
          <p class="muted">
            Pictures that a model refuses as not matching wait here. <a href={routes.extract()}>Extract</a> some
            pictures.
          </p>
        </div>
      )}
      {item !== undefined && (
        <div class="review-layout">
          <section class="review-picture card" aria-label="Picture">
            {model.error !== undefined && <Notice kind="error">{explain(model.error)}</Notice>}
            {item.model_id === null && (
              <Notice kind="error">
                The model of this picture was deleted, so it cannot be cut.{" "}
                {canEdit ? "Discard it." : "An editor can discard it."}
              </Notice>
            )}
            {pageCount > 1 && (
              <Notice kind="info">
                This picture has {pageCount} pages. Placing the pages of a document by hand is not offered here yet:{" "}
                {canEdit ? "discard it" : "an editor can discard it"}, or send it again once it matches.
              </Notice>
            )}
            {corners !== null && model.data && pageCount === 1 && (
              <ReviewCanvas
                key={item.id}
                pictureUrl={item.picture_url}
                picture={item.source}
                reference={model.data.image}
                zones={model.data.zones}
                folderOrder={folderOrder}
                corners={corners}
                onCorners={(c) => setPlacement({ key, corners: c })}
              />
            )}
            <p class="hint review-keys">
              Keys: <kbd>J</kbd> next item · <kbd>K</kbd> previous item · <kbd>Enter</kbd> cut · on a focused corner,
              arrow keys move it (<kbd>Shift</kbd> for bigger steps).
            </p>
          </section>
          <aside class="review-side card" aria-label="Item">
            <h2 class="review-filename">{item.source.filename}</h2>
            <dl class="review-facts">
              <dt>Model</dt>
              <dd>
                {item.model_id ? <a href={routes.editor(item.model_id)}>{item.model_name}</a> : item.model_name},
                version {item.model_version}
                {model.data && model.data.version !== item.model_version && (
                  <span class="muted"> (now version {model.data.version})</span>
                )}
              </dd>
              <dt>Why</dt>
              <dd>
                <span class="review-reason">{reasonText(item.reason)}</span>
                {item.detail && <span class="review-detail"> — {item.detail}</span>}
              </dd>
              {figures !== null && (
                <>
                  <dt>Measured</dt>
                  <dd>{figures}</dd>
                </>
              )}
              <dt>Picture</dt>
              <dd>
                {item.source.width}×{item.source.height} · {formatBytes(item.source.bytes)}
              </dd>
              <dt>Posted</dt>
              <dd>
                {item.created_by ? `by ${item.created_by}, ` : ""}
                <time dateTime={item.created_at} title={formatExact(item.created_at)}>
                  {formatWhen(item.created_at)}
                </time>
              </dd>
              <dt>Status</dt>
              <dd>
                {STATUS[item.status]}
                {item.decided_by && ` by ${item.decided_by}`}
              </dd>
            </dl>
            {error !== null && <Notice kind="error">{error}</Notice>}
            <div class="review-actions">
              <button
                type="button"
                class="button button-primary"
                disabled={!canCut}
                aria-keyshortcuts="Enter"
                onClick={() => void cut()}
              >
                {busy === "cut" ? "Cutting…" : "Cut"}
              </button>
              {canEdit && (
                <button type="button" class="button button-danger" disabled={!canDecide} onClick={() => void discard()}>
                  Discard
                </button>
              )}
              <button
                type="button"
                class="link-button"
                disabled={placement?.key !== key}
                onClick={() => setPlacement(null)}
              >
                Reset corners
              </button>
            </div>
            <div class="review-nav">
              <button type="button" class="button button-small" disabled={at === 0} onClick={() => go(at - 1)}>
                Previous
              </button>
              <button
                type="button"
                class="button button-small"
                disabled={at >= items.length - 1}
                onClick={() => go(at + 1)}
              >
                Next
              </button>
            </div>
          </aside>
        </div>
      )}
    </main>
  );
}
