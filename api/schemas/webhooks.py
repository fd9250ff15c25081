"""Webhooks and their deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from api.schemas.common import InputModel, Page

WebhookEvent = Literal[
    "extraction.created", "review.created", "review.resolved", "job.done", "job.failed"
]


class WebhookCreate(InputModel):
    url: Annotated[
        str,
        Field(
            min_length=1,
            max_length=2000,
            description="http:// or https://; delivered only to public addresses (checked as "
            "resolved, at every delivery) unless ZONECUT_WEBHOOK_ALLOW_PRIVATE.",
            examples=["https://example.com/hooks/zonecut"],
        ),
    ]
    events: Annotated[
        list[WebhookEvent],
        Field(min_length=1, max_length=5, description="The events to deliver."),
    ]
    secret: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=200,
            description="A Standard Webhooks secret (`whsec_` and base64); one is made when "
            "left out.",
        ),
    ] = None


class WebhookRead(BaseModel):
    id: uuid.UUID
    url: str
    events: list[WebhookEvent]
    created_by: str
    created_at: datetime
    deliveries_url: str


class WebhookCreated(WebhookRead):
    secret: str = Field(
        description="Verifies the `webhook-signature` of every delivery; shown only now.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class DeliveryRead(BaseModel):
    """One event sent (or being sent) to a webhook."""

    id: uuid.UUID
    message_id: str = Field(description="The `webhook-id` header of every attempt.")
    event: str = Field(examples=["extraction.created", "webhook.test"])
    status: Literal["pending", "delivered", "failed"]
    attempts: int = Field(ge=0)
    created_at: datetime
    next_attempt_at: datetime | None = Field(
        default=None, description="When a pending delivery is tried again."
    )
    last_attempt_at: datetime | None = None
    last_status: int | None = Field(
        default=None, description="The receiver's status code at the last attempt."
    )
    last_error: str | None = Field(
        default=None, description="Why the last attempt did not deliver."
    )
    delivered_at: datetime | None = None


WebhookList = Page[WebhookRead]
DeliveryList = Page[DeliveryRead]
