"""An extraction answered while another is cut in the same process hands its connection
back, so that the next request can land on an idle worker."""

from __future__ import annotations

import asyncio

from starlette.types import Message, Receive, Scope, Send

from api.edge.spread import SpreadConnectionsMiddleware

EXTRACT = "/api/v1/extract"


class HeldApp:
    """An app whose answers wait until the test lets each request go."""

    def __init__(self) -> None:
        self.release: dict[str, asyncio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = scope["query_string"].decode()
        await self.release.setdefault(name, asyncio.Event()).wait()
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


def _scope(name: str, method: str = "POST", path: str = EXTRACT) -> Scope:
    return {"type": "http", "method": method, "path": path, "query_string": name.encode()}


async def _answer_heads(
    app: SpreadConnectionsMiddleware, held: HeldApp, requests: list[Scope], order: list[str]
) -> dict[str, list[tuple[bytes, bytes]]]:
    """Run ``requests`` at once, let them answer in ``order``; each one's answer headers."""
    heads: dict[str, list[tuple[bytes, bytes]]] = {}

    async def one(scope: Scope) -> None:
        async def receive() -> Message:
            return {"type": "http.request", "body": b""}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                heads[scope["query_string"].decode()] = list(message["headers"])

        await app(scope, receive, send)

    tasks = [asyncio.create_task(one(scope)) for scope in requests]
    await asyncio.sleep(0)
    for name in order:
        held.release.setdefault(name, asyncio.Event()).set()
        await asyncio.sleep(0.01)
    await asyncio.gather(*tasks)
    return heads


def test_an_answer_while_another_extraction_is_cut_closes_its_connection() -> None:
    held = HeldApp()
    app = SpreadConnectionsMiddleware(held, frozenset({EXTRACT}))
    heads = asyncio.run(_answer_heads(app, held, [_scope("a"), _scope("b")], ["a", "b"]))
    assert (b"connection", b"close") in heads["a"]  # b was still being cut
    assert (b"connection", b"close") not in heads["b"]  # the last one keeps its connection


def test_an_extraction_alone_keeps_its_connection() -> None:
    held = HeldApp()
    app = SpreadConnectionsMiddleware(held, frozenset({EXTRACT}))
    heads = asyncio.run(_answer_heads(app, held, [_scope("a")], ["a"]))
    assert heads["a"] == []


def test_other_requests_neither_count_nor_close() -> None:
    held = HeldApp()
    app = SpreadConnectionsMiddleware(held, frozenset({EXTRACT}))
    requests = [_scope("a"), _scope("list", "GET"), _scope("model", "POST", "/api/v1/models")]
    heads = asyncio.run(_answer_heads(app, held, requests, ["list", "model", "a"]))
    assert all(headers == [] for headers in heads.values())
