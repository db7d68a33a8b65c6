"""The sandbox as a raw ASGI app: the API's edge behaviour, faults, then the account."""

from __future__ import annotations

import hmac
import json
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio

from callsavvy_async.sandbox._faults import Decision, Faults
from callsavvy_async.sandbox._state import Account, Rejected

__all__ = ["IN_PROCESS", "AnswerLost", "SandboxApp"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

IN_PROCESS = "callsavvy.sandbox.in_process"
MAX_BODY = 1 << 20
_UNAVAILABLE = b"<html><head><title>503 Service Unavailable</title></head><body>busy</body></html>"


class AnswerLost(Exception):
    """The request was processed but its answer never reaches the client."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"sandbox dropped the answer ({kind})")
        self.kind = kind


class SandboxApp:
    """POST /{resource} with JSON and the key headers, answered with the vendor's envelope."""

    def __init__(
        self,
        account: Account,
        faults: Faults,
        keys: set[tuple[str, str]],
        requests: Counter[str],
        after_request: Callable[[], Awaitable[None]],
        lost_answer_delay: float,
    ) -> None:
        self._account = account
        self._faults = faults
        self._keys = keys
        self._requests = requests
        self._after_request = after_request
        self._lost_answer_delay = lost_answer_delay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        resource = scope["path"].rstrip("/").rsplit("/", 1)[-1]
        if scope["method"] != "POST":
            await _envelope(send, resource, 405, error="Only POST requests are accepted")
            return
        body = await _read_body(receive)
        if resource not in self._account.handlers:
            await _envelope(send, resource, 404, error=f"Unknown resource {resource!r}")
            return
        self._requests[resource] += 1
        await self._answer(scope, send, resource, body)

    async def _answer(self, scope: Scope, send: Send, resource: str, body: bytes | None) -> None:
        plan = self._faults.plan_for(resource)
        decision = self._faults.decide(plan) if plan else Decision()
        if decision.delay:
            await anyio.sleep(decision.delay)
        if not self._authorised(scope):
            await _envelope(send, resource, 401, error="Invalid API credentials")
            return
        if decision.rate_limited:
            assert plan is not None
            retry_after = f"{plan.retry_after:g}"
            await _envelope(send, resource, 429, error="Too many requests", retry_after=retry_after)
            return
        if decision.server_error:
            await _raw(send, 503, _UNAVAILABLE, b"text/html")
            return
        try:
            data = self._account.handlers[resource](_json_object(scope, body))
        except Rejected as rejected:
            await _envelope(send, resource, rejected.status, error=rejected.message)
            return
        await self._after_request()
        if decision.lose_answer:
            assert plan is not None
            await self._lose_answer(scope, send, plan.lost_answer)
        await _envelope(send, resource, 200, data=data)

    def _authorised(self, scope: Scope) -> bool:
        headers = dict(scope["headers"])
        public = headers.get(b"public-key", b"").decode("latin-1")
        private = headers.get(b"private-key", b"").decode("latin-1")
        return any(
            hmac.compare_digest(public, pk) & hmac.compare_digest(private, sk)
            for pk, sk in self._keys
        )

    async def _lose_answer(self, scope: Scope, send: Send, kind: str) -> None:
        """In process, raise for the client transport to turn into the matching httpx
        error; on a socket, start the answer and drop the connection (after a wait, for a
        timeout)."""
        if not scope.get(IN_PROCESS):
            await send({"type": "http.response.start", "status": 200, "headers": []})
            if kind == "timeout":
                await anyio.sleep(self._lost_answer_delay)
        raise AnswerLost(kind)


def _json_object(scope: Scope, body: bytes | None) -> dict[str, Any]:
    headers = dict(scope["headers"])
    content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
    if body is None:
        raise Rejected("Request body too large", status=413)
    if not content_type.startswith("application/json"):
        raise Rejected("Our API accepts only JSON encoded requests", status=415)
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except ValueError:
        raise Rejected("Request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise Rejected("Request body must be a JSON object")
    return value


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or None when it is larger than MAX_BODY."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _envelope(
    send: Send,
    resource: str,
    status: int,
    *,
    data: Any = None,
    error: str | None = None,
    retry_after: str | None = None,
) -> None:
    if error is None:
        payload = {"resource": resource, "status": "success", "data": data}
    else:
        payload = {"resource": resource, "status": "error", "message": error}
    extra = [(b"retry-after", retry_after.encode())] if retry_after else []
    body = json.dumps(payload, separators=(",", ":")).encode()
    await _raw(send, status, body, b"application/json", extra)


async def _raw(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send(
        {"type": "http.response.start", "status": status, "headers": headers + (extra or [])}
    )
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
