"""Request body limit: a pure ASGI middleware in front of everything else.

A body larger than ``settings.max_body_bytes`` (``max_admin_body_bytes`` under ``/v1/pipeline/``, whose admin routes
take up to 100,000 track ids and check the key before they validate a body) is refused with 413 before it is read: at
once when the request announces it (``Content-Length``), or as soon as a chunked body passes the limit (then the part
read so far, at most the limit, is dropped). The application never parses, validates or echoes such a body, so one
hostile request can neither hold the event loop nor grow the process.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def too_large_body(limit: int, size: int | None) -> bytes:
    got = f"{size} bytes" if size is not None else "more"
    return orjson.dumps({"detail": f"request body too large: {got}, at most {limit} bytes are accepted "
                                   "(GRAPHSVC_MAX_BODY_BYTES on the server)"})


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.default = int(max_bytes)
        self.larger = sorted((larger or {}).items(), key=lambda kv: -len(kv[0]))  # path prefix -> limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        max_bytes = next((limit for prefix, limit in self.larger if path.startswith(prefix)), self.default)
        length = None
        chunked = False
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if length is not None:
            try:
                size = int(length)
            except ValueError:
                await _answer(send, 400, orjson.dumps({"detail": "invalid Content-Length header"}))
                return
            if size > max_bytes:
                await _answer(send, 413, too_large_body(max_bytes, size))
                return
            await self.app(scope, receive, send)
            return
        if not chunked:
            await self.app(scope, receive, send)
            return
        # a chunked body: read it up to the limit first, then hand it on
        messages: list[Message] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                messages.append(message)
                break
            total += len(message.get("body", b""))
            if total > max_bytes:
                await _answer(send, 413, too_large_body(max_bytes, None))
                return
            messages.append(message)
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            if messages:
                return messages.pop(0)
            return await receive()

        await self.app(scope, replay, send)


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers: list[Any] = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                          (b"connection", b"close")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
