// Webhooks (admins only): the addresses told of events, a "send test event" button each,
// and their last deliveries, read again while any is still being tried.

import { useEffect, useState } from "preact/hooks";
import { detailOf } from "../../api/problem";
import type { Delivery, Webhook, WebhookCreated } from "../../api/types";
import { deleteWebhook, listDeliveries, listWebhooks, sendTestEvent } from "../../api/webhooks";
import { confirmAction } from "../../components/confirm";
import { Notice } from "../../components/Notice";
import { formatExact, formatWhen } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { describeAttempt, EVENTS } from "./events";
import { NewWebhookDialog } from "./NewWebhookDialog";
import { WebhookSecretDialog } from "./WebhookSecretDialog";

const POLL_MS = 1500;
const STATUS_BADGE: Record<Delivery["status"], string> = {
  pending: "badge-uploading",
  delivered: "badge-done",
  failed: "badge-failed",
};
const LABEL = new Map(EVENTS.map((ev) => [ev.name as string, ev.label]));

function When({ iso }: { iso: string | null | undefined }) {
  if (iso === null || iso === undefined) return <span class="muted">—</span>;
  return (
    <time dateTime={iso} title={formatExact(iso)}>
      {formatWhen(iso)}
    </time>
  );
}

/** A webhook's last deliveries; read again while one is pending, and when `sent` changes. */
function Deliveries({ webhook, sent }: { webhook: Webhook; sent: number }) {
  const deliveries = useAsync(() => listDeliveries(webhook.id, 10), [webhook.id, sent]);
  const items = deliveries.data?.items ?? [];
  const pending = items.some((d) => d.status === "pending");
  useEffect(() => {
    if (!pending) return;
    const timer = window.setTimeout(deliveries.reload, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [pending, deliveries.data, deliveries.reload]);

  if (deliveries.error !== undefined) return <Notice kind="error">{detailOf(deliveries.error)}</Notice>;
  if (items.length === 0) return <p class="muted">Nothing delivered yet.</p>;
  return (
    <table class="table deliveries">
      <caption class="visually-hidden">Last deliveries to {webhook.url}</caption>
      <thead>
        <tr>
          <th scope="col">Event</th>
          <th scope="col">Status</th>
          <th scope="col">Attempts</th>
          <th scope="col">Last attempt</th>
          <th scope="col">When</th>
        </tr>
      </thead>
      <tbody>
        {items.map((d) => (
          <tr key={d.id}>
            <th scope="row" class="cell-name" title={d.message_id}>
              <code>{d.event}</code>
            </th>
            <td>
              <span class={`badge ${STATUS_BADGE[d.status]}`}>{d.status}</span>
            </td>
            <td>{d.attempts}</td>
            <td class="cell-attempt">
              {describeAttempt(d)}
              {d.status === "pending" && d.attempts > 0 && (
                <span class="muted">
                  {" "}
                  · next <When iso={d.next_attempt_at} />
                </span>
              )}
            </td>
            <td>
              <When iso={d.last_attempt_at ?? d.created_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function WebhooksPage() {
  const webhooks = useAsync(() => listWebhooks(), []);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<WebhookCreated | null>(null);
  const [sent, setSent] = useState<Record<string, number>>({});
  const [error, setError] = useState<unknown>(null);
  const [news, setNews] = useState<string | null>(null);

  const test = async (webhook: Webhook): Promise<void> => {
    setError(null);
    setNews(null);
    try {
      await sendTestEvent(webhook.id);
      setNews(`A test event is on its way to ${webhook.url}.`);
      setSent((counts) => ({ ...counts, [webhook.id]: (counts[webhook.id] ?? 0) + 1 }));
    } catch (e) {
      setError(e);
    }
  };

  const remove = async (webhook: Webhook): Promise<void> => {
    const ok = await confirmAction({
      title: "Delete this webhook?",
      message: `Nothing more is delivered to ${webhook.url}, deliveries still being tried included.`,
      confirmLabel: "Delete",
      danger: true,
    });
    if (!ok) return;
    setError(null);
    setNews(null);
    try {
      await deleteWebhook(webhook.id);
      setNews(`The webhook to ${webhook.url} is deleted.`);
    } catch (e) {
      setError(e);
    }
    webhooks.reload();
  };

  const items = webhooks.data?.items ?? [];
  return (
    <main class="page webhooks-page">
      <div class="page-head">
        <h1>Webhooks</h1>
        <div class="page-head-actions">
          <button type="button" class="button button-primary" onClick={() => setCreating(true)}>
            New webhook
          </button>
        </div>
      </div>
      <p class="lead">
        Zonecut tells other systems what happens — a picture cut, one kept for review, a job done — by posting a signed
        event to their address. A receiver that is down gets the event again, with backoff, for a day.
      </p>
      {error !== null && <Notice kind="error">{detailOf(error)}</Notice>}
      {news !== null && <Notice kind="success">{news}</Notice>}
      {webhooks.error !== undefined && <Notice kind="error">{detailOf(webhooks.error)}</Notice>}
      {webhooks.loading && webhooks.data === undefined ? (
        <p class="muted">Loading webhooks…</p>
      ) : items.length === 0 ? (
        <p class="empty card">No webhooks yet. Add one for each system that should hear of Zonecut's events.</p>
      ) : (
        <div class="webhook-list">
          {items.map((webhook) => (
            <section key={webhook.id} class="card webhook-card" aria-label={`Webhook to ${webhook.url}`}>
              <div class="webhook-head">
                <div class="webhook-what">
                  <code class="webhook-url">{webhook.url}</code>
                  <span class="muted">{webhook.events.map((name) => LABEL.get(name) ?? name).join(" · ")}</span>
                  <span class="muted">
                    Made <When iso={webhook.created_at} /> by {webhook.created_by}
                  </span>
                </div>
                <div class="row-actions">
                  <button
                    type="button"
                    class="button button-small"
                    aria-label={`Send test event to ${webhook.url}`}
                    onClick={() => void test(webhook)}
                  >
                    Send test event
                  </button>
                  <button
                    type="button"
                    class="button button-small button-quiet-danger"
                    aria-label={`Delete the webhook to ${webhook.url}`}
                    onClick={() => void remove(webhook)}
                  >
                    Delete
                  </button>
                </div>
              </div>
              <h2 class="webhook-deliveries-title">Last deliveries</h2>
              <Deliveries webhook={webhook} sent={sent[webhook.id] ?? 0} />
            </section>
          ))}
        </div>
      )}
      <NewWebhookDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(webhook) => {
          setCreating(false);
          setCreated(webhook);
          webhooks.reload();
        }}
      />
      <WebhookSecretDialog created={created} onClose={() => setCreated(null)} />
    </main>
  );
}
