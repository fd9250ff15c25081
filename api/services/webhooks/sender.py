"""Deliveries sent: signed per Standard Webhooks, to a checked address, retried with
backoff for a day, off every request's path.

Each delivery is a row (:mod:`.events` writes them). A thread of the runner claims the
due ones (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a conditional update elsewhere),
holds them by its instance's lease, and sends a few at once from a small pool, so a slow
receiver holds one of those threads and nothing else: extraction never waits for it.
A delivery whose sender died while sending is sent again once its lease lapsed: at least
once, every attempt with the same ``webhook-id``.

An attempt: the URL's host is resolved and every address checked
(:mod:`.addresses`), then the request goes to a checked address with the name in the
``Host`` header and as the TLS server name (so the certificate is checked for the name),
redirects not followed, proxies of the environment not used. A 2xx answer delivers; any
other answer, a timeout or a refused address is retried after
``retry * 2^(attempt-1)`` seconds (at most two hours) while the delivery is younger than
a day, then it has failed.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Collection
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook as Signer

from api.db import session_scope
from api.services import leases
from api.services.webhooks.addresses import DestinationRefused, IPAddress, resolve
from api.tables import Webhook, WebhookDelivery, utcnow

log = logging.getLogger(__name__)
RETRY_FOR = timedelta(days=1)
LONGEST_WAIT = timedelta(hours=2)
USER_AGENT = "Zonecut-Webhooks/1"


@dataclass(frozen=True)
class Attempt:
    """What one attempt came to: the receiver's status code, or why nothing was answered."""

    status: int | None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def message_id(delivery_id: uuid.UUID) -> str:
    """The ``webhook-id`` of every attempt of a delivery."""
    return f"msg_{delivery_id.hex}"


def signed_headers(secret: str, msg_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Signer(secret).sign(msg_id, at, body),
    }


def send(
    url: str,
    secret: str,
    msg_id: str,
    body: str,
    *,
    allow_private: bool,
    timeout: float,
) -> Attempt:
    """One attempt at delivering ``body`` to ``url``, signed with ``secret``."""
    # Imported by the first attempt: a worker with no webhooks never loads the HTTP client
    # (nor what it brings along: its command line's rich and pygments, where installed).
    import httpx

    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    try:
        addresses = resolve(host, port, allow_private=allow_private)
    except DestinationRefused as refused:
        return Attempt(None, str(refused))
    headers = signed_headers(secret, msg_id, body, utcnow()) | {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "host": host if parts.port is None else f"{host}:{parts.port}",
    }
    error = "no address answered"
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for address in addresses:
            target = urlunsplit(
                (parts.scheme, _netloc(address, port), parts.path or "/", parts.query, "")
            )
            try:
                with client.stream(
                    "POST",
                    target,
                    content=body.encode(),
                    headers=headers,
                    extensions={"sni_hostname": host} if https else {},
                ) as response:
                    status = response.status_code
            except httpx.ConnectError as exc:
                error = f"could not connect to {address}: {exc}"
                continue  # the next address of the name
            except httpx.HTTPError as exc:
                return Attempt(None, f"{type(exc).__name__}: {exc}"[:500])
            if 300 <= status < 400:
                return Attempt(status, "redirects are not followed")
            return Attempt(status, None if 200 <= status < 300 else f"answered {status}")
    return Attempt(None, error[:500])


def _netloc(address: IPAddress, port: int) -> str:
    shown = f"[{address}]" if address.version == 6 else str(address)
    return f"{shown}:{port}"


def claim_due(
    sessions: sessionmaker[Session],
    holder: uuid.UUID,
    lease: timedelta,
    limit: int,
    busy: Collection[uuid.UUID] = (),
) -> list[uuid.UUID]:
    """Hold up to ``limit`` deliveries that are due: new, to retry, whose sender died, or
    held here but not ``busy`` (an attempt whose outcome could not be recorded)."""
    now = utcnow()
    free = leases.lapsed(WebhookDelivery.holder, lease) | (
        (WebhookDelivery.holder == holder) & WebhookDelivery.id.not_in(list(busy))
    )
    with session_scope(sessions) as session:
        query = (
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now,
                free,
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
        due = list(session.scalars(query))
        if not due:
            return []
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(due), WebhookDelivery.status == "pending", free)
            .values(holder=holder)
        )
        return list(
            session.scalars(
                select(WebhookDelivery.id).where(
                    WebhookDelivery.id.in_(due), WebhookDelivery.holder == holder
                )
            )
        )


@dataclass(frozen=True)
class Sending:
    """How deliveries are sent: the address rule, a timeout, the first retry's wait."""

    allow_private: bool = False
    timeout: float = 10.0
    retry: timedelta = timedelta(seconds=5)


def deliver(
    sessions: sessionmaker[Session], holder: uuid.UUID, delivery_id: uuid.UUID, how: Sending
) -> Attempt | None:
    """Make one attempt at a delivery this instance holds and record it; None when it is
    no longer there (its webhook deleted)."""
    with session_scope(sessions) as session:
        found = session.execute(
            select(Webhook.url, Webhook.secret, WebhookDelivery.body)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.holder == holder)
        ).first()
    if found is None:
        return None
    url, secret, body = found
    attempt = send(
        url,
        secret,
        message_id(delivery_id),
        body,
        allow_private=how.allow_private,
        timeout=how.timeout,
    )
    record(sessions, holder, delivery_id, attempt, how.retry)
    return attempt


def record(
    sessions: sessionmaker[Session],
    holder: uuid.UUID,
    delivery_id: uuid.UUID,
    attempt: Attempt,
    retry: timedelta,
) -> None:
    """Keep what an attempt came to: delivered, due again after the backoff, or failed."""
    now = utcnow()
    with session_scope(sessions) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.holder != holder:
            return
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.last_status = attempt.status
        delivery.last_error = attempt.error
        delivery.holder = None
        if attempt.delivered:
            delivery.status, delivery.delivered_at = "delivered", now
            return
        wait = min(retry * 2 ** (delivery.attempts - 1), LONGEST_WAIT)
        if now + wait - delivery.created_at > RETRY_FOR:
            delivery.status = "failed"
            log.warning("webhook delivery %s failed for good: %s", delivery_id, attempt.error)
            return
        delivery.next_attempt_at = now + wait


class WebhookSender:
    """A thread that claims due deliveries and sends them from a pool of ``concurrency``
    threads; woken at once by the deliveries of its own process (:meth:`wake`)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        holder: uuid.UUID,
        how: Sending,
        *,
        lease: timedelta = timedelta(seconds=15),
        poll: float = 1.0,
        concurrency: int = 4,
    ) -> None:
        self._sessions = sessions
        self._holder = holder
        self._how = how
        self._lease = lease
        self._poll = poll
        self._concurrency = concurrency
        self._stop = threading.Event()
        self._woken = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Deliveries were queued: send them now."""
        self._woken.set()

    def stop(self, wait: float = 15.0) -> None:
        """Stop after the attempts under way (at most a timeout's worth)."""
        self._stop.set()
        self._woken.set()
        if self._thread.is_alive():
            self._thread.join(timeout=wait)

    def _run(self) -> None:
        sending: dict[Future[Attempt | None], uuid.UUID] = {}
        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="webhook") as pool:
            while not self._stop.is_set():
                self._woken.clear()
                for future in [future for future in sending if future.done()]:
                    del sending[future]
                    if future.exception() is not None:
                        log.warning("a webhook attempt failed", exc_info=future.exception())
                free = self._concurrency - len(sending)
                due: list[uuid.UUID] = []
                if free > 0:
                    try:
                        due = claim_due(
                            self._sessions, self._holder, self._lease, free, sending.values()
                        )
                    except Exception:  # the database may be away for a while: try again
                        log.warning("could not look for webhook deliveries", exc_info=True)
                for item in due:
                    future = pool.submit(deliver, self._sessions, self._holder, item, self._how)
                    sending[future] = item
                    future.add_done_callback(lambda _: self._woken.set())
                if not due or len(due) < free:
                    self._woken.wait(self._poll)
