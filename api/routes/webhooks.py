"""Webhooks (admin): addresses told of events, signed per Standard Webhooks, and what was
delivered to them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from api import errors
from api.db import SessionDep, on_commit
from api.edge.access import Admin
from api.edge.deps import SettingsDep
from api.edge.presenters import API_PREFIX, delivery_read, webhook_created, webhook_read
from api.edge.problems import problem_responses
from api.schemas.common import MAX_OFFSET
from api.schemas.webhooks import (
    DeliveryList,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookRead,
)
from api.services.webhooks import subscriptions as service
from api.services.webhooks.events import Events
from api.tables import Webhook

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


def get_events(request: Request) -> Events:
    events: Events = request.app.state.events
    return events


EventsDep = Annotated[Events, Depends(get_events)]


def get_webhook(
    session: SessionDep,
    _admin: Admin,
    webhook_id: Annotated[uuid.UUID, Path(description="The webhook's id.")],
) -> Webhook:
    return service.load_webhook(session, webhook_id)


WebhookDep = Annotated[Webhook, Depends(get_webhook)]


@router.get(
    "",
    operation_id="listWebhooks",
    summary="List webhooks",
    description="Every webhook, newest first; never their secrets.",
    responses=problem_responses(),
)
def list_webhooks(
    session: SessionDep,
    _admin: Admin,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> WebhookList:
    webhooks, total = service.list_webhooks(session, limit=limit, offset=offset)
    return WebhookList(
        items=[webhook_read(webhook) for webhook in webhooks],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "",
    status_code=201,
    operation_id="createWebhook",
    summary="Create a webhook",
    description="Deliver `events` to `url`: a POST of `{type, timestamp, data}` per event, "
    "signed per the Standard Webhooks spec (`webhook-id`, `webhook-timestamp`, "
    "`webhook-signature`) with the `secret` of this answer, shown only now. Sent at least "
    "once (a retry keeps its `webhook-id`), retried with backoff for a day, redirects not "
    "followed; only to public addresses, checked as resolved when each delivery is sent, "
    "unless ZONECUT_WEBHOOK_ALLOW_PRIVATE.",
    responses=problem_responses(),
)
def create_webhook(
    session: SessionDep,
    admin: Admin,
    settings: SettingsDep,
    events: EventsDep,
    body: WebhookCreate,
    response: Response,
) -> WebhookCreated:
    webhook = service.create_webhook(
        session,
        url=body.url,
        events=body.events,
        secret=body.secret,
        created_by=admin.actor,
        allow_private=settings.webhook_allow_private,
    )
    session.flush()
    events.changed()
    response.headers["Location"] = f"{API_PREFIX}/webhooks/{webhook.id}"
    return webhook_created(webhook)


@router.get(
    "/{webhook_id:uuid}",
    operation_id="getWebhook",
    summary="Get a webhook",
    description="Its address and events; never its secret.",
    responses=problem_responses(errors.NotFound),
)
def get_webhook_route(webhook: WebhookDep) -> WebhookRead:
    return webhook_read(webhook)


@router.delete(
    "/{webhook_id:uuid}",
    status_code=204,
    operation_id="deleteWebhook",
    summary="Delete a webhook",
    description="Nothing more is delivered to it, deliveries still pending included.",
    response_class=Response,
    responses=problem_responses(errors.NotFound),
)
def delete_webhook(
    session: SessionDep, admin: Admin, events: EventsDep, webhook: WebhookDep
) -> Response:
    service.delete_webhook(session, webhook, admin.actor)
    events.changed()
    return Response(status_code=204)


@router.post(
    "/{webhook_id:uuid}/test",
    status_code=202,
    operation_id="testWebhook",
    summary="Send a test event",
    description="Queues a `webhook.test` event to this webhook alone, sent like any other; "
    "follow it in the deliveries.",
    responses=problem_responses(errors.NotFound),
)
def send_test_event(
    session: SessionDep, admin: Admin, events: EventsDep, webhook: WebhookDep
) -> DeliveryRead:
    delivery = service.send_test(session, webhook, admin.actor)
    if events.wake is not None:  # sent now by this process's sender, not at its next look
        on_commit(session, events.wake)
    return delivery_read(delivery)


@router.get(
    "/{webhook_id:uuid}/deliveries",
    operation_id="listWebhookDeliveries",
    summary="List a webhook's deliveries",
    description="Newest first: each event's status (`pending`, `delivered`, `failed`), its "
    "attempts, and what the last one came to.",
    responses=problem_responses(errors.NotFound),
)
def list_deliveries(
    session: SessionDep,
    webhook: WebhookDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> DeliveryList:
    deliveries, total = service.list_deliveries(session, webhook, limit=limit, offset=offset)
    return DeliveryList(
        items=[delivery_read(delivery) for delivery in deliveries],
        total=total,
        limit=limit,
        offset=offset,
    )
