// The audit log (admins only): who did what, newest first, a page at a time, with
// filters by actor and by action ("user.*" for a family).

import { useState } from "preact/hooks";
import { listAuditEvents } from "../../api/access";
import { detailOf } from "../../api/problem";
import type { AuditEvent } from "../../api/types";
import { Notice } from "../../components/Notice";
import { formatStamp, formatWhen } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";

export const AUDIT_PAGE_SIZE = 50;

/** An event's detail as short "key: value" pairs. */
export function describeDetail(detail: Readonly<Record<string, unknown>>): string {
  return Object.entries(detail)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" · ");
}

/** "51–100 of 230". */
export function pageRange(offset: number, shown: number, total: number): string {
  if (total === 0 || shown === 0) return `0 of ${total}`;
  return `${offset + 1}–${offset + shown} of ${total}`;
}

function Filters({ onApply }: { onApply: (actor: string, action: string) => void }) {
  const [actor, setActor] = useState("");
  const [action, setAction] = useState("");
  return (
    <form
      class="audit-filters"
      role="search"
      aria-label="Filter the audit log"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(actor.trim(), action.trim());
      }}
    >
      <div class="field">
        <label for="audit-actor">Actor</label>
        <input
          id="audit-actor"
          value={actor}
          placeholder="a username, or key:name"
          maxLength={200}
          onInput={(e) => setActor(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for="audit-action">Action</label>
        <input
          id="audit-action"
          value={action}
          placeholder="e.g. auth.login or user.*"
          maxLength={50}
          onInput={(e) => setAction(e.currentTarget.value)}
        />
      </div>
      <button type="submit" class="button">
        Filter
      </button>
      {(actor !== "" || action !== "") && (
        <button
          type="button"
          class="link-button"
          onClick={() => {
            setActor("");
            setAction("");
            onApply("", "");
          }}
        >
          Clear
        </button>
      )}
    </form>
  );
}

function Row({ event }: { event: AuditEvent }) {
  const detail = describeDetail(event.detail);
  return (
    <tr class={event.action.endsWith("_failed") ? "is-warning" : undefined}>
      <td class="cell-when">
        <time dateTime={event.at} title={formatWhen(event.at)}>
          {formatStamp(event.at)}
        </time>
      </td>
      <td>{event.actor}</td>
      <td>
        <code>{event.action}</code>
      </td>
      <td class="cell-target">{event.target ?? <span class="muted">—</span>}</td>
      <td class="cell-detail">{detail === "" ? <span class="muted">—</span> : detail}</td>
    </tr>
  );
}

export function AuditPage() {
  const [filter, setFilter] = useState({ actor: "", action: "" });
  const [offset, setOffset] = useState(0);
  const events = useAsync(
    () => listAuditEvents({ limit: AUDIT_PAGE_SIZE, offset, ...filter }),
    [offset, filter.actor, filter.action],
  );
  const page = events.data;
  const items = page?.items ?? [];
  const total = page?.total ?? 0;

  return (
    <main class="page">
      <div class="page-head">
        <h1>Audit log</h1>
      </div>
      <p class="lead">
        Sign-ins (failed ones too) and every change to models, zones, files, users and API keys, newest first.
      </p>
      <Filters
        onApply={(actor, action) => {
          setFilter({ actor, action });
          setOffset(0);
        }}
      />
      {events.error !== undefined && <Notice kind="error">{detailOf(events.error)}</Notice>}
      {events.loading && page === undefined ? (
        <p class="muted">Loading the audit log…</p>
      ) : items.length === 0 ? (
        <p class="empty card">
          {filter.actor || filter.action ? "Nothing matches these filters." : "Nothing has happened yet."}
        </p>
      ) : (
        <div class="card table-card">
          <table class="table" aria-busy={events.loading}>
            <caption class="visually-hidden">Audit events</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e, i) => (
                <Row key={`${e.at}-${i}`} event={e} />
              ))}
            </tbody>
          </table>
          <nav class="pager" aria-label="Pages of the audit log">
            <span class="muted">{pageRange(offset, items.length, total)}</span>
            <button
              type="button"
              class="button button-small"
              disabled={offset === 0 || events.loading}
              onClick={() => setOffset(Math.max(0, offset - AUDIT_PAGE_SIZE))}
            >
              Newer
            </button>
            <button
              type="button"
              class="button button-small"
              disabled={offset + items.length >= total || events.loading}
              onClick={() => setOffset(offset + AUDIT_PAGE_SIZE)}
            >
              Older
            </button>
          </nav>
        </div>
      )}
    </main>
  );
}
