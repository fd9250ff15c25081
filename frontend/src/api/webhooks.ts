// Webhooks (admins only): the addresses Zonecut tells of events, and what it delivered
// to them. Errors as in client.ts.

import { call, client } from "./http";
import type { Delivery, DeliveryPage, WebhookCreate, WebhookCreated, WebhookPage } from "./types";

export async function listWebhooks(): Promise<WebhookPage> {
  const { data } = await call(() => client.GET("/api/v1/webhooks", { params: { query: { limit: 200 } } }));
  return data;
}

/** A new webhook; its signing secret is in this answer only. */
export async function createWebhook(body: WebhookCreate): Promise<WebhookCreated> {
  const { data } = await call(() => client.POST("/api/v1/webhooks", { body }));
  return data;
}

export async function deleteWebhook(id: string): Promise<void> {
  await call(() => client.DELETE("/api/v1/webhooks/{webhook_id}", { params: { path: { webhook_id: id } } }));
}

/** Queues a `webhook.test` event to this webhook alone. */
export async function sendTestEvent(id: string): Promise<Delivery> {
  const { data } = await call(() =>
    client.POST("/api/v1/webhooks/{webhook_id}/test", { params: { path: { webhook_id: id } } }),
  );
  return data;
}

/** A webhook's last deliveries, newest first. */
export async function listDeliveries(id: string, limit = 10): Promise<DeliveryPage> {
  const { data } = await call(() =>
    client.GET("/api/v1/webhooks/{webhook_id}/deliveries", {
      params: { path: { webhook_id: id }, query: { limit } },
    }),
  );
  return data;
}
