"""Webhooks as records: made with a signing secret, listed, deleted, tested, and their
deliveries listed. Made and deleted by admins (the edge decides), audited.

The secret is a Standard Webhooks one, ``whsec_`` and the base64 of 24 to 64 random
bytes: made here unless one is given, shown in the answer that makes the webhook and
never again. It is kept as it is, since signing needs it.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import errors
from api.services import audit
from api.services.webhooks.addresses import DestinationRefused, check, literal
from api.services.webhooks.events import API, EVENTS, TEST_EVENT, delivery
from api.tables import Webhook, WebhookDelivery, utcnow

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A random signing secret in the Standard Webhooks form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _checked_secret(secret: str) -> str:
    try:
        raw = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not secret.startswith(SECRET_PREFIX) or not 24 <= len(raw) <= 64:
        raise errors.validation_failed(
            [
                errors.FieldError(
                    field="secret",
                    message="must be 'whsec_' and the base64 of 24 to 64 random bytes "
                    "(leave it out to have one made)",
                )
            ]
        )
    return secret


def check_url(url: str, *, allow_private: bool) -> str:
    """422 unless ``url`` is an http(s) URL with a host and no credentials; an address
    given as an IP is checked now (a name is checked as resolved, at every delivery)."""
    parts = urlsplit(url)
    problem = None
    try:
        port = parts.port
    except ValueError:
        port, problem = None, "has a port that is not a number from 0 to 65535"
    if parts.scheme not in ("http", "https"):
        problem = "must start with http:// or https://"
    elif not parts.hostname:
        problem = "names no host"
    elif parts.username is not None or parts.password is not None:
        problem = "must not carry a user name or password"
    elif parts.fragment:
        problem = "must not have a #fragment"
    elif port == 0:
        problem = "must not use port 0"
    if problem is None and parts.hostname and (address := literal(parts.hostname)) is not None:
        try:
            check(parts.hostname, address, allow_private=allow_private)
        except DestinationRefused as refused:
            problem = str(refused)
    if problem is not None:
        raise errors.validation_failed([errors.FieldError(field="url", message=problem)])
    return url


def create_webhook(
    session: Session,
    *,
    url: str,
    events: Sequence[str],
    secret: str | None,
    created_by: str,
    allow_private: bool,
) -> Webhook:
    """A new webhook for ``events`` (each one of :data:`EVENTS`), audited."""
    unknown = [event for event in events if event not in EVENTS]
    if unknown or not events:
        raise errors.validation_failed(
            [
                errors.FieldError(
                    field="events",
                    message=f"name one or more of {', '.join(EVENTS)}"
                    + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
                )
            ]
        )
    webhook = Webhook(
        id=uuid.uuid4(),
        url=check_url(url, allow_private=allow_private),
        events=list(dict.fromkeys(events)),
        secret=_checked_secret(secret) if secret is not None else new_secret(),
        created_by=created_by,
        created_at=utcnow(),
    )
    session.add(webhook)
    audit.record(session, created_by, "webhook.create", str(webhook.id), {"url": webhook.url})
    return webhook


def list_webhooks(session: Session, *, limit: int, offset: int) -> tuple[Sequence[Webhook], int]:
    """A page of webhooks, newest first, and how many there are."""
    total = session.scalar(select(func.count()).select_from(Webhook)) or 0
    webhooks = session.scalars(
        select(Webhook).order_by(Webhook.created_at.desc(), Webhook.id).limit(limit).offset(offset)
    ).all()
    return webhooks, total


def load_webhook(session: Session, webhook_id: uuid.UUID) -> Webhook:
    """The webhook, or 404."""
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise errors.NotFound(f"webhook {webhook_id} does not exist")
    return webhook


def delete_webhook(session: Session, webhook: Webhook, actor: str) -> None:
    """Delete a webhook and its deliveries (those not sent yet are never sent), audited."""
    session.delete(webhook)
    audit.record(session, actor, "webhook.delete", str(webhook.id), {"url": webhook.url})


def send_test(session: Session, webhook: Webhook, actor: str) -> WebhookDelivery:
    """Queue a ``webhook.test`` delivery to this webhook alone."""
    test = delivery(
        webhook.id,
        TEST_EVENT,
        {
            "webhook_id": str(webhook.id),
            "sent_by": actor,
            "links": {"self": f"{API}/webhooks/{webhook.id}"},
        },
    )
    session.add(test)
    session.flush()
    return test


def list_deliveries(
    session: Session, webhook: Webhook, *, limit: int, offset: int
) -> tuple[Sequence[WebhookDelivery], int]:
    """A page of a webhook's deliveries, newest first, and how many there are."""
    condition = WebhookDelivery.webhook_id == webhook.id
    total = session.scalar(select(func.count()).select_from(WebhookDelivery).where(condition))
    deliveries = session.scalars(
        select(WebhookDelivery)
        .where(condition)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return deliveries, total or 0
