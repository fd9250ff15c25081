// The events a webhook may be told of, in words.

import type { Delivery, WebhookEvent } from "../../api/types";

export const EVENTS: readonly { readonly name: WebhookEvent; readonly label: string }[] = [
  { name: "extraction.created", label: "A picture was cut and filed" },
  { name: "review.created", label: "A refused picture was kept for review" },
  { name: "review.resolved", label: "A review item was placed by hand" },
  { name: "job.done", label: "A job finished" },
  { name: "job.failed", label: "A job failed" },
];

/** What the last attempt of a delivery came to, in a few words: the receiver's answer, or
 *  why nothing was sent (an address refused, a timeout). */
export function describeAttempt(
  delivery: Pick<Delivery, "status" | "attempts" | "last_status" | "last_error">,
): string {
  if (delivery.attempts === 0) return "not sent yet";
  const answered = `answered ${delivery.last_status ?? "nothing"}`;
  return delivery.status === "delivered" ? answered : (delivery.last_error ?? answered);
}
