"""The served sandbox's own read-only paths, outside the API's /v1 so they never clash
with it: GET /_sandbox/ledger (every accepted send, one entry per recipient, in order)
and GET /_sandbox/requests (requests per resource)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from callsavvy_async._asgi import Send
from callsavvy_async.sandbox._ledger import LedgerEntry

__all__ = ["PREFIX", "answer_inspection", "is_inspection"]

PREFIX = "/_sandbox/"


def is_inspection(path: str) -> bool:
    return path.startswith(PREFIX)


def _ledger(ledger: list[LedgerEntry]) -> list[dict[str, str]]:
    return [
        {"channel": entry.channel, "recipient": entry.recipient, "message": entry.message}
        for entry in ledger
    ]


async def answer_inspection(
    send: Send, method: str, path: str, ledger: list[LedgerEntry], requests: Counter[str]
) -> None:
    """Answer GET /_sandbox/ledger or /_sandbox/requests; 405 for another method, 404 for
    another path under /_sandbox/."""
    views: dict[str, Callable[[], Any]] = {
        "ledger": lambda: _ledger(ledger),
        "requests": lambda: dict(requests),
    }
    view = views.get(path[len(PREFIX) :].rstrip("/"))
    if view is None:
        known = ", ".join(PREFIX + name for name in views)
        await _answer(send, 404, {"error": f"unknown sandbox path; known: {known}"})
    elif method not in ("GET", "HEAD"):
        await _answer(send, 405, {"error": "use GET"}, [(b"allow", b"GET, HEAD")])
    else:
        await _answer(send, 200, view(), head=method == "HEAD")


async def _answer(
    send: Send,
    status: int,
    payload: Any,
    headers: list[tuple[bytes, bytes]] | None = None,
    *,
    head: bool = False,
) -> None:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    start = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send(
        {"type": "http.response.start", "status": status, "headers": start + (headers or [])}
    )
    await send({"type": "http.response.body", "body": b"" if head else body})
