"""WebhookApp: the ASGI 3 shell around the sans-I/O core (`_core`), the router and the
background task group, with no framework dependency.

Run it under uvicorn or hypercorn, or mount it in Starlette, FastAPI, Litestar or Django.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, TypeVar

import anyio

from callsavvy_async._asgi import Receive, Scope, Send
from callsavvy_async.webhooks._background import Background
from callsavvy_async.webhooks._core import Guard, Rejection, declares_more_than, parse_event
from callsavvy_async.webhooks._router import DedupeKey, Handler, Router, run_notification
from callsavvy_async.webhooks.events import (
    CallerInfoReply,
    CallerInformation,
    ChatbotCallback,
    Event,
    UnknownEvent,
)

__all__ = ["WebhookApp"]

_OK = b'{"status":"success"}'
_JSON = b"application/json"
_HTML = b"text/html; charset=utf-8"
_TOKEN_HEADER = b"x-callsavvy-token"
_WRONG_METHOD = Rejection(405, "method not allowed: use POST")
_TOO_LARGE = Rejection(413, "body too large")
_GONE = Rejection(400, "the client went away")
_SLOW = Rejection(408, "the body did not arrive in time")
_H = TypeVar("_H", bound=Handler)


class WebhookApp:
    """Receive Callsavvy's webhooks and dispatch each event to its handler: a plain ASGI 3
    app. Register handlers with `@app.on(EventClass)` or `@app.on("wireName")`.

    Who may deliver:
        token: one token, or several while rotating them (default None: no check). It is
            read from the `X-Callsavvy-Token` header or the `?token=` query (which servers
            write to their access logs), compared in constant time; a wrong one gets 401.
        allowed_ips: addresses or CIDR networks allowed to deliver (default None: any);
            others get 403.
        trusted_proxies: networks whose `X-Forwarded-For` names the real client (default
            none).

    Limits on a request:
        max_body_size: the largest body accepted, in bytes (default 65,536); larger gets 413.
        body_timeout: seconds for the whole body to arrive (default 10); slower gets 408.

    Events answered by their handler:
        caller_info_timeout: seconds a callerInformation handler has to reply (default 2).
        caller_info_fallback: the reply on timeout or error (default: empty fields).
        chatbot_timeout: seconds a chatbotCallback handler has to reply (default 5).
        chatbot_fallback: the text answered on timeout or error (default "").

    Notifications (callSummary, newTicketOpened, ticketEscalated, newChat):
        on_unknown: the handler of events this version does not know (default None).
        max_pending: handlers running in the background at once (default 1000); past it a
            handler runs before its answer.
        shutdown_timeout: seconds to wait at shutdown for background handlers (default 10).
        on_dropped: called with the event of each handler still running after that, which
            is then cancelled (default None: only logged).
        dedupe: ignore repeated deliveries (default False), remembered for `dedupe_ttl`
            seconds (default 3600), at most `dedupe_size` of them (default 10,000), by
            `dedupe_key(event, body)` (default: callSummary's recording URL; a ticket's
            id, event and status; otherwise the body's hash).

    Notification handlers run after the answer while a lifespan (or `async with app:`)
    runs, in a task group it owns; without one they run before the answer.
    """

    def __init__(
        self,
        token: str | Iterable[str] | None = None,
        allowed_ips: Iterable[str] | None = None,
        max_body_size: int = 65536,
        *,
        trusted_proxies: Iterable[str] | None = None,
        body_timeout: float = 10.0,
        caller_info_timeout: float = 2.0,
        caller_info_fallback: CallerInfoReply | None = None,
        chatbot_timeout: float = 5.0,
        chatbot_fallback: str = "",
        on_unknown: Handler | None = None,
        on_dropped: Callable[[Event | UnknownEvent], object] | None = None,
        max_pending: int = 1000,
        shutdown_timeout: float = 10.0,
        dedupe: bool = False,
        dedupe_ttl: float = 3600.0,
        dedupe_size: int = 10_000,
        dedupe_key: DedupeKey | None = None,
    ) -> None:
        self._guard = Guard.from_settings(token, allowed_ips, trusted_proxies)
        self._max_body = max_body_size
        self._body_timeout = body_timeout
        self._router = Router(
            caller_info_timeout=caller_info_timeout,
            caller_info_fallback=caller_info_fallback or CallerInfoReply(),
            chatbot_timeout=chatbot_timeout,
            chatbot_fallback=chatbot_fallback,
            on_unknown=on_unknown,
            dedupe=dedupe,
            dedupe_ttl=dedupe_ttl,
            dedupe_size=dedupe_size,
            dedupe_key=dedupe_key,
        )
        self._background = Background(max_pending, shutdown_timeout, on_dropped)
        self._exit_stack: AsyncExitStack | None = None

    def __repr__(self) -> str:
        token = "set" if self._guard.tokens else None
        return f"WebhookApp(handlers={self._router.events}, token={token})"

    def on(self, event: type[Any] | str) -> Callable[[_H], _H]:
        """Register the handler of one event, given as its class or its wire name."""
        return self._router.on(event)

    def on_unknown(self, handler: _H) -> _H:
        """Register the handler of events whose name this version does not know."""
        return self._router.on_unknown(handler)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            status, body, content_type = await self._answer(scope, receive)
            headers = [(b"content-type", content_type), (b"content-length", b"%d" % len(body))]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _answer(self, scope: Scope, receive: Receive) -> tuple[int, bytes, bytes]:
        """Status, body and content type of the answer to one delivery."""
        content_type = self._screen(scope)
        if isinstance(content_type, Rejection):
            return _error(content_type)
        body = await self._read_body(receive)
        if isinstance(body, Rejection):
            return _error(body)
        event = parse_event(content_type, body)
        if isinstance(event, Rejection):
            return _error(event)
        if isinstance(event, CallerInformation):
            return 200, await self._router.caller_info(event), _JSON
        if isinstance(event, ChatbotCallback):
            return 200, await self._router.chatbot(event), _HTML
        handler = self._router.notification_handler(event, body)
        if handler is not None and not self._background.start(
            event, run_notification, handler, event
        ):
            await run_notification(handler, event)  # nothing would wait for it later
        return 200, _OK, _JSON

    async def __aenter__(self) -> WebhookApp:
        """Handle notifications in the background until exit, then wait for them."""
        if self._exit_stack is not None:
            raise RuntimeError("this WebhookApp is already running")
        stack = AsyncExitStack()
        await stack.enter_async_context(self.running())
        self._exit_stack = stack
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        stack, self._exit_stack = self._exit_stack, None
        if stack is not None:
            await stack.aclose()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Handle notifications after their answer; on exit wait up to shutdown_timeout
        for those still running, then cancel them and report them to on_dropped."""
        async with self._background.active():
            yield

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await receive()
        if self._background.running:
            message = "this WebhookApp is already running (async with app: in the host?)"
            await send({"type": "lifespan.startup.failed", "message": message})
            return
        async with self.running():
            await send({"type": "lifespan.startup.complete"})
            while (await receive())["type"] != "lifespan.shutdown":
                pass
        await send({"type": "lifespan.shutdown.complete"})

    def _screen(self, scope: Scope) -> str | Rejection | None:
        """The request's content type, or why it is refused before its body is read."""
        if scope["method"] != "POST":
            return _WRONG_METHOD
        content_type = length = token = None
        forwarded: list[bytes] = []
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value.decode("latin-1")
            elif name == b"content-length":
                length = value
            elif name == _TOKEN_HEADER:
                token = value
            elif name == b"x-forwarded-for":
                forwarded.append(value)
        if not self._guard.open:
            client = scope.get("client")
            peer = client[0] if client else None
            query = scope.get("query_string", b"")
            refusal = self._guard.refusal(token, query, peer, forwarded)
            if refusal is not None:
                return refusal
        if length is not None and declares_more_than(length, self._max_body):
            return _TOO_LARGE
        return content_type

    async def _read_body(self, receive: Receive) -> bytes | Rejection:
        """The whole body, within body_timeout and max_body_size."""
        with anyio.move_on_after(self._body_timeout):
            chunks: list[bytes] = []
            size = 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return _GONE
                chunk: bytes = message.get("body", b"")
                size += len(chunk)
                if size > self._max_body:
                    return _TOO_LARGE
                if not message.get("more_body"):
                    return b"".join([*chunks, chunk]) if chunks else chunk
                chunks.append(chunk)
        return _SLOW


def _error(rejection: Rejection) -> tuple[int, bytes, bytes]:
    body = json.dumps({"status": "error", "message": rejection.message}).encode()
    return rejection.status, body, _JSON
