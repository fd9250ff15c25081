"""Connections spread over the server's worker processes while they cut pictures.

Each worker of ``zonecut serve`` accepts connections from one shared socket, and a
kept-alive connection stays with the worker that accepted it: two clients whose
connections both landed on one worker keep that worker's two extractions contending for
its GIL while the other worker idles, for as long as they post. So an extraction answered
while another one is still being cut in the same process closes its connection after the
answer (``Connection: close``, which HTTP/1.1 clients and proxies follow by opening a new
one): the next request comes on a new connection, which the idle worker, free to accept
at once, most often takes. A process cutting one picture at a time keeps its
connections open.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class SpreadConnectionsMiddleware:
    """Answers to ``POST`` on ``paths`` close their connection when another such request
    is in flight in this process."""

    def __init__(self, app: ASGIApp, paths: frozenset[str]) -> None:
        self.app = app
        self._paths = paths
        # Requests in flight in this process: touched only on the event loop's thread.
        self._in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in self._paths:
            await self.app(scope, receive, send)
            return

        async def answering(message: Message) -> None:
            if message["type"] == "http.response.start" and self._in_flight > 1:
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"connection"
                ]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        self._in_flight += 1
        try:
            await self.app(scope, receive, answering)
        finally:
            self._in_flight -= 1
