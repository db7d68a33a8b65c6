"""The sandbox as a raw ASGI app: the API's edge (method, resource, keys, JSON), the
injected faults, then the resource handler and the webhook events it caused."""

from __future__ import annotations

import hmac
import json
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Iterator

import anyio

from callsavvy_async._asgi import Receive, Scope, Send
from callsavvy_async.sandbox._faults import Decision, Faults, LostAnswer
from callsavvy_async.sandbox._fields import Body, Rejected
from callsavvy_async.sandbox._http import (
    TooLarge,
    answer_envelope,
    answer_page,
    read_body,
    run_lifespan,
)
from callsavvy_async.sandbox._inspect import answer_inspection, is_inspection
from callsavvy_async.sandbox._records import RECORD_HANDLERS, Handler
from callsavvy_async.sandbox._sends import SEND_HANDLERS
from callsavvy_async.sandbox._state import Event, State

__all__ = ["HANDLERS", "IN_PROCESS", "AnswerLost", "SandboxApp"]

HANDLERS: dict[str, Handler] = {**RECORD_HANDLERS, **SEND_HANDLERS}
IN_PROCESS = "callsavvy.sandbox.in_process"
"""Scope key the in-process transport sets: lost answers then raise at once."""
MAX_BODY = 1 << 20
_SURROGATE = re.compile("[\ud800-\udfff]")
Deliver = Callable[[list[Event]], Awaitable[None]]
Headers = dict[bytes, bytes]


class AnswerLost(Exception):
    """The request was processed but its answer never reaches the client."""

    def __init__(self, kind: LostAnswer) -> None:
        super().__init__(f"the sandbox dropped the answer ({kind}), as injected")
        self.kind = kind


class SandboxApp:
    """POST /…/v1/{resource} with a JSON body and the key headers, answered with the
    vendor's envelope; GET /_sandbox/ledger and /_sandbox/requests for inspection. Only
    `Sandbox` builds it; it shares the sandbox's state, faults and counters."""

    def __init__(
        self,
        state: State,
        faults: Faults,
        keys: Collection[tuple[bytes, bytes]],
        requests: Counter[str],
        deliver: Deliver,
        lost_answer_wait: float,
    ) -> None:
        self._state = state
        self._faults = faults
        self._keys = keys
        self._requests = requests
        self._deliver = deliver
        self._lost_answer_wait = lost_answer_wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await run_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if is_inspection(scope["path"]):
            await answer_inspection(
                send, scope["method"], scope["path"], self._state.ledger, self._requests
            )
            return
        resource = scope["path"].rstrip("/").rpartition("/")[2]
        if scope["method"] != "POST":
            allow = [(b"allow", b"POST")]
            error = "Our API accepts only HTTP POST requests"
            await answer_envelope(send, resource, 405, error=error, headers=allow)
            return
        handler = HANDLERS.get(resource) if _versioned(scope["path"]) else None
        if handler is None:
            await answer_envelope(send, resource, 404, error=f"Unknown resource {resource!r}")
            return
        self._requests[resource] += 1
        try:
            body = await read_body(receive, MAX_BODY)
        except TooLarge:
            await answer_envelope(send, resource, 413, error="The request body is too large")
            return
        await self._answer(scope, receive, send, resource, handler, body)

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        resource: str,
        handler: Handler,
        body: bytes,
    ) -> None:
        decision = self._faults.decide(resource)
        if decision.delay:
            await anyio.sleep(decision.delay)
        if decision.status is not None:
            await _answer_fault(send, resource, decision)
            return
        headers = dict(scope["headers"])
        if not self._authorised(headers):
            await answer_envelope(send, resource, 401, error="Invalid API credentials")
            return
        try:
            data = handler(self._state, _json_object(headers, body))
        except Rejected as refusal:
            await answer_envelope(send, resource, refusal.status, error=refusal.message)
            return
        events = self._state.take_events()
        if decision.lost_answer is not None:
            await self._deliver(events)
            await self._lose_answer(scope, receive, send, decision.lost_answer)
        await answer_envelope(send, resource, 200, data=data)
        if events:
            await self._deliver(events)

    def _authorised(self, headers: Headers) -> bool:
        public = headers.get(b"public-key", b"")
        private = headers.get(b"private-key", b"")
        return any(
            hmac.compare_digest(public, known_public) & hmac.compare_digest(private, known_private)
            for known_public, known_private in self._keys
        )

    async def _lose_answer(
        self, scope: Scope, receive: Receive, send: Send, kind: LostAnswer
    ) -> None:
        """In process, raise at once for the transport to turn into the httpx error. On a
        socket, keep silent until the client gives up (timeout), then start an answer and
        break the connection."""
        if not scope.get(IN_PROCESS):
            if kind == "timeout":
                with anyio.move_on_after(self._lost_answer_wait):
                    await _client_gone(receive)
            headers = [(b"content-type", b"application/json"), (b"content-length", b"512")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
        raise AnswerLost(kind)


async def _answer_fault(send: Send, resource: str, decision: Decision) -> None:
    if decision.status == 429:
        retry_after = f"{decision.retry_after or 0:g}".encode()
        error = "Too many requests: slow down"
        await answer_envelope(
            send, resource, 429, error=error, headers=[(b"retry-after", retry_after)]
        )
    elif decision.status == 500:
        await answer_envelope(send, resource, 500, error="Internal server error")
    else:
        await answer_page(send, decision.status or 503)


async def _client_gone(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _versioned(path: str) -> bool:
    """Whether `path` is /v1/<resource> (under any mount prefix), as the real API's URLs
    are: a client with a base URL missing /v1 must fail here as it would there."""
    parts = path.rstrip("/").split("/")
    return len(parts) >= 3 and parts[-2] == "v1"


def _json_object(headers: Headers, body: bytes) -> Body:
    """The body as a JSON object; an empty body is {} (resources without parameters)."""
    content_type = headers.get(b"content-type", b"").decode("latin-1")
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise Rejected("Our API accepts only JSON encoded requests", status=415)
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except RecursionError:
        raise Rejected("The request body is nested too deeply") from None
    except ValueError:
        raise Rejected("The request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise Rejected("The request body must be a JSON object")
    if any(_SURROGATE.search(text) for text in _strings(value)):
        raise Rejected("The request body is not valid UTF-8 text")
    return value


def _strings(value: object) -> Iterator[str]:
    """Every string of a decoded JSON value, keys included, at any depth. A lone surrogate
    escape (\\ud800) decodes to text that cannot be encoded again, so it is refused here,
    before a handler stores it. Walked without recursion, as nesting can be deep."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
