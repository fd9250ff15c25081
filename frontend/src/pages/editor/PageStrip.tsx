// The pages of a reference of several: a column of thumbnails, each with its number and
// how many zones it holds. The page shown is marked (aria-current) and every thumbnail
// is a button, so a click, Tab and Enter, or PageUp/PageDown on the canvas switch pages.

import { useEffect, useId, useRef } from "preact/hooks";
import type { Model } from "../../api/types";
import { formatCount } from "../../lib/format";

type ImagePage = Model["image"]["pages"][number];

export function PageStrip({
  pages,
  page,
  counts,
  onPage,
}: {
  pages: readonly ImagePage[];
  /** The page shown, from 1. */
  page: number;
  /** Zones on each page, page 1 first. */
  counts: readonly number[];
  onPage: (page: number) => void;
}) {
  const current = useRef<HTMLButtonElement>(null);
  const id = useId();
  useEffect(() => {
    // Paging with the keyboard keeps the page shown in sight in a long strip.
    current.current?.scrollIntoView?.({ block: "nearest" });
  }, [page]);

  return (
    <nav class="page-strip" aria-label="Pages">
      <ol class="page-strip-list">
        {pages.map((p) => {
          const shown = p.page === page;
          const countId = `${id}-count-${p.page}`;
          return (
            <li key={p.page}>
              <button
                type="button"
                ref={shown ? current : undefined}
                class={`page-thumb${shown ? " is-current" : ""}`}
                aria-current={shown ? "page" : undefined}
                aria-describedby={countId}
                title={`Page ${p.page} of ${pages.length} (PageUp, PageDown)`}
                onClick={() => onPage(p.page)}
              >
                <span class="page-thumb-picture" style={{ aspectRatio: `${p.width} / ${p.height}` }}>
                  <img src={p.url} alt="" loading="lazy" decoding="async" />
                </span>
                {/* Named "Page 2", described "1 zone". */}
                <span class="page-thumb-caption">
                  <span class="page-thumb-number">
                    <span class="visually-hidden">Page </span>
                    {p.page}
                  </span>
                  <span class="page-thumb-count" id={countId} aria-hidden="true">
                    {formatCount(counts[p.page - 1] ?? 0, "zone")}
                  </span>
                </span>
              </button>
            </li>
          );
        })}
      </ol>
      <p class="visually-hidden" aria-live="polite">
        Page {page} of {pages.length}
      </p>
    </nav>
  );
}
