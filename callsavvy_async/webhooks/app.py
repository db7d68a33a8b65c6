"""WebhookApp: a raw ASGI 3 app around the sans-I/O core, with no framework dependency.

Run it under uvicorn or hypercorn, or mount it in Starlette, FastAPI, Litestar or Django.
callerInformation and chatbotCallback are answered by their handler within a deadline,
with a fallback on timeout or error. The other events are answered first and handled
after the answer, in the request's own task, while a lifespan (or `async with app:`)
runs; otherwise their handler runs before the answer. Servers keep a request's task
alive after its answer (uvicorn and hypercorn wait for them at shutdown), and the app
waits for them too, so nothing is dropped. Time limits and cancellation cost nothing until
something waits (see `_deadline`): a request whose body has arrived and whose handler does
not wait runs without a timer or a cancel scope.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import ipaddress
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable, MutableMapping
from contextlib import AsyncExitStack, asynccontextmanager
from types import CoroutineType
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes

import anyio
import attrs

from callsavvy_async.webhooks._core import Rejection, parse_event
from callsavvy_async.webhooks._deadline import Cancellable, CutOff, TimeLimit
from callsavvy_async.webhooks._eager import Task, Waiting, asyncio_task, start
from callsavvy_async.webhooks.events import (
    EVENT_TYPES,
    CallerInfoReply,
    CallerInformation,
    ChatbotCallback,
    Event,
    UnknownEvent,
)

__all__ = ["WebhookApp"]

logger = logging.getLogger("callsavvy_async.webhooks")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Handler = Callable[[Any], Any]
DedupeKey = Callable[[Event, bytes], Hashable]
_H = TypeVar("_H", bound=Handler)

_OK = b'{"status":"success"}'
_JSON = b"application/json"
_OK_HEADERS = ((b"content-type", _JSON), (b"content-length", b"%d" % len(_OK)))
_HTML = b"text/html; charset=utf-8"
_TOKEN_HEADER = b"x-callsavvy-token"
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_WRONG_METHOD = Rejection(405, "method not allowed: use POST")
_TOO_LARGE = Rejection(413, "body too large")
_GONE = Rejection(400, "the client went away")


class WebhookApp:
    """Receive Callsavvy's webhooks and dispatch each event to its coroutine.

    Handlers are registered with `@app.on(EventClass)` or `@app.on("wireName")`.
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
        tokens = [token] if isinstance(token, str) else list(token or ())
        if any(not t for t in tokens):
            raise ValueError("tokens must be non-empty strings")
        self._tokens = [t.encode() for t in tokens]
        self._allowed = _networks(allowed_ips) if allowed_ips is not None else None
        self._proxies = _networks(trusted_proxies or ())
        self._guarded = bool(self._tokens) or self._allowed is not None
        self._max_body = max_body_size
        self._body_timeout = body_timeout
        self._caller_timeout = caller_info_timeout
        self._caller_fallback = _caller_info_body(caller_info_fallback or CallerInfoReply())
        self._chatbot_timeout = chatbot_timeout
        self._chatbot_fallback = chatbot_fallback.encode()
        self._handlers: dict[str, Handler] = {}
        self._unknown_handler = on_unknown
        self._on_dropped = on_dropped
        self._max_pending = max_pending
        self._shutdown_timeout = shutdown_timeout
        self._seen = _Seen(dedupe_ttl, dedupe_size) if dedupe else None
        self._dedupe_key = dedupe_key or default_dedupe_key
        self._background = False
        self._pending: dict[int, tuple[Event | UnknownEvent, Cancellable]] = {}
        self._idle: anyio.Event | None = None
        self._exit_stack: AsyncExitStack | None = None

    def __repr__(self) -> str:
        token = "set" if self._tokens else None
        return f"WebhookApp(handlers={sorted(self._handlers)}, token={token})"

    def on(self, event: type[Any] | str) -> Callable[[_H], _H]:
        """Register the handler of one event, given as its class or its wire name."""
        name = event if isinstance(event, str) else getattr(event, "WIRE_NAME", None)
        if name not in EVENT_TYPES:
            raise ValueError(f"unknown event {event!r}; known: {', '.join(EVENT_TYPES)}")

        def register(handler: _H) -> _H:
            if name in self._handlers:
                raise ValueError(f"a handler for {name} is already registered")
            self._handlers[name] = handler
            return handler

        return register

    def on_unknown(self, handler: _H) -> _H:
        """Register the handler of events whose name this version does not know."""
        if self._unknown_handler is not None:
            raise ValueError("an on_unknown handler is already registered")
        self._unknown_handler = handler
        return handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self._lifespan(receive, send)
            return
        content_type, refusal = self._screen(scope)
        if refusal is not None:
            await _reply_error(send, refusal.status, refusal.message)
            return
        task = asyncio_task()
        # The body has almost always arrived with the headers: only a wait sets a timer.
        message = start(receive(), task)
        if isinstance(message, Waiting) or message.get("more_body"):
            limit = TimeLimit(self._body_timeout, task)
            body = await self._read_slowly(message, receive, limit)
        else:
            body = _only_body(message, self._max_body)
        del message  # not kept alive while a handler runs
        if isinstance(body, Rejection):
            await _reply_error(send, body.status, body.message)
            return
        event = parse_event(content_type, body)
        if isinstance(event, Rejection):
            await _reply_error(send, event.status, event.message)
        elif isinstance(event, CallerInformation):
            await _reply(send, 200, await self._caller_info(event, task), _JSON)
        elif isinstance(event, ChatbotCallback):
            await _reply(send, 200, await self._chatbot(event, task), _HTML)
        else:
            handler = self._notification_handler(event, body)  # also notes it for dedupe
            if handler is None:
                await _reply_ok(send)
            elif self._background and len(self._pending) < self._max_pending:
                await self._answer_then_run(handler, event, send, Cancellable(task))
            else:  # no drain would wait for it after the answer: run it first
                await _run_logged(handler, event, Cancellable(task))
                await _reply_ok(send)

    async def __aenter__(self) -> WebhookApp:
        """Handle events in the background until exit, then wait for them (mounted apps)."""
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
        """Handle notifications after their answer; on exit wait up to shutdown_timeout for
        those still running, then cancel them and report them to on_dropped."""
        if self._background:
            raise RuntimeError("this WebhookApp is already running")
        self._background = True
        try:
            yield
        finally:
            self._background = False
            await self._drain()

    async def _drain(self) -> None:
        with anyio.CancelScope(shield=True) as scope:
            scope.deadline = anyio.current_time() + self._shutdown_timeout
            try:
                while self._pending:
                    self._idle = anyio.Event()
                    await self._idle.wait()
            finally:
                self._idle = None
        for event, handler_run in list(self._pending.values()):
            self._dropped(event)
            handler_run.cancel()

    def _dropped(self, event: Event | UnknownEvent) -> None:
        logger.error("%s handler still running at shutdown: dropped", event.event)
        if self._on_dropped is not None:
            try:
                self._on_dropped(event)
            except Exception:
                logger.exception("on_dropped failed for a %s event", event.event)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await receive()
        if self._background:
            message = "this WebhookApp is already running (async with app: in the host?)"
            await send({"type": "lifespan.startup.failed", "message": message})
            return
        async with self.running():
            await send({"type": "lifespan.startup.complete"})
            while (await receive())["type"] != "lifespan.shutdown":
                pass
        await send({"type": "lifespan.shutdown.complete"})

    def _screen(self, scope: Scope) -> tuple[str | None, Rejection | None]:
        """The request's content type, or why it is refused before its body is read."""
        if scope["method"] != "POST":
            return None, _WRONG_METHOD
        content_type = length = token = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value.decode("latin-1")
            elif name == b"content-length":
                length = value
            elif name == _TOKEN_HEADER:
                token = value
        refusal = self._refuse(scope, token) if self._guarded else None
        if refusal is None and length is not None and _too_long(length, self._max_body):
            refusal = _TOO_LARGE
        return content_type, refusal

    def _refuse(self, scope: Scope, header_token: bytes | None) -> Rejection | None:
        if self._tokens and not self._token_matches(scope, header_token):
            return Rejection(401, "unauthorized")
        if self._allowed is not None and not self._address_allowed(scope):
            return Rejection(403, "forbidden")
        return None

    def _token_matches(self, scope: Scope, header_token: bytes | None) -> bool:
        offered = [header_token] if header_token else []
        query: bytes = scope.get("query_string", b"")
        if b"token=" in query:
            offered += _query_values(query, b"token")
        matched = False
        for candidate in offered:
            for token in self._tokens:
                matched |= hmac.compare_digest(candidate, token)
        return matched

    def _address_allowed(self, scope: Scope) -> bool:
        address = _client_address(scope, self._proxies)
        assert self._allowed is not None
        return address is not None and any(address in network for network in self._allowed)

    async def _read_slowly(
        self, message: Message | Waiting[Message], receive: Receive, limit: TimeLimit
    ) -> bytes | Rejection:
        """The body that had not all arrived with the headers, within `limit`."""
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                if isinstance(message, Waiting):
                    message = await limit.wait(message)
                if message["type"] == "http.disconnect":
                    return _GONE
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self._max_body:
                    return _TOO_LARGE
                chunks.append(chunk)
                if not message.get("more_body"):
                    return b"".join(chunks)
                message = await limit.run(receive())
        except CutOff:
            return Rejection(408, "the body did not arrive in time")

    async def _caller_info(self, event: CallerInformation, task: Task | None) -> bytes:
        """The JSON answer: the handler's reply, or the fallback if it has none to give."""
        result = await self._within(event, self._caller_timeout, task)
        if result is not None:
            try:
                return _caller_info_body(result)
            except Exception:
                logger.exception("callerInformation reply unusable; answered the fallback")
        return self._caller_fallback

    async def _chatbot(self, event: ChatbotCallback, task: Task | None) -> bytes:
        """The HTML answer: the handler's text, or the fallback if it has none to give."""
        result = await self._within(event, self._chatbot_timeout, task)
        if result is not None:
            try:
                return str(result).encode("utf-8", "replace")
            except Exception:
                logger.exception("chatbotCallback reply unusable; answered the fallback")
        return self._chatbot_fallback

    async def _within(self, event: Event, seconds: float, task: Task | None) -> Any:
        """The handler's result within `seconds`, or None on timeout, error or no handler."""
        handler = self._handlers.get(event.event)
        if handler is None:
            return None
        try:
            result = handler(event)
            if inspect.isawaitable(result):
                result = await TimeLimit(seconds, task).run(result)
        except CutOff:
            pass
        except Exception:
            logger.exception("%s handler failed; answered the fallback", event.event)
            return None
        else:
            return result
        logger.error("%s handler took over %gs; answered the fallback", event.event, seconds)
        return None

    def _notification_handler(self, event: Event | UnknownEvent, body: bytes) -> Handler | None:
        if isinstance(event, UnknownEvent):
            return self._unknown_handler
        if self._seen is not None and self._is_repeat(event, body):
            logger.info("%s delivered again: ignored", event.event)
            return None
        return self._handlers.get(event.event)

    def _is_repeat(self, event: Event, body: bytes) -> bool:
        """Whether this delivery was seen; a failing dedupe_key lets it through, logged."""
        assert self._seen is not None
        try:
            return self._seen.repeat(self._dedupe_key(event, body))
        except Exception:
            logger.exception("dedupe_key failed for a %s event; handled it anyway", event.event)
            return False

    async def _answer_then_run(
        self, handler: Handler, event: Event | UnknownEvent, send: Send, handler_run: Cancellable
    ) -> None:
        """Answer, then run the handler counted in `_pending`, where the drain can cancel it;
        a cancellation from the server is reported as a drop, not lost silently."""
        key = id(event)
        self._pending[key] = (event, handler_run)
        try:
            try:
                await _reply_ok(send)
            finally:
                await _run_logged(handler, event, handler_run)
        except anyio.get_cancelled_exc_class():
            self._dropped(event)
            raise
        finally:
            del self._pending[key]
            if not self._pending and self._idle is not None:
                self._idle.set()


def _only_body(message: Message, limit: int) -> bytes | Rejection:
    if message["type"] == "http.disconnect":
        return _GONE
    body: bytes = message.get("body", b"")
    return body if len(body) <= limit else _TOO_LARGE


def default_dedupe_key(event: Event, body: bytes) -> Hashable:
    """callSummary: its recording; tickets: id, event and status; otherwise the body."""
    recording = getattr(event, "recording_url", None)
    if recording:
        return ("callSummary", recording)
    ticket_id = getattr(event, "ticket_id", None)
    if ticket_id:
        return (event.event, ticket_id, getattr(event, "ticket_status", None))
    return hashlib.sha256(body).digest()


class _Seen:
    """A bounded memory of recent keys that forgets each after `ttl` seconds."""

    def __init__(self, ttl: float, size: int) -> None:
        self._ttl = ttl
        self._size = size
        self._expiry: OrderedDict[Hashable, float] = OrderedDict()

    def repeat(self, key: Hashable) -> bool:
        now = anyio.current_time()
        while self._expiry and next(iter(self._expiry.values())) <= now:
            self._expiry.popitem(last=False)
        if key in self._expiry:
            return True
        self._expiry[key] = now + self._ttl
        if len(self._expiry) > self._size:
            self._expiry.popitem(last=False)
        return False


async def _run_logged(
    handler: Handler, event: Event | UnknownEvent, handler_run: Cancellable
) -> None:
    """Run a notification handler unless the drain cancelled it; log its failure."""
    if handler_run.cancelled:
        return
    try:
        result = handler(event)
        if type(result) is CoroutineType or inspect.isawaitable(result):  # the usual first
            await handler_run.run(result)
    except CutOff:
        return
    except Exception:
        logger.exception("%s handler failed", event.event)


def _networks(addresses: Iterable[str]) -> list[IPNetwork]:
    return [ipaddress.ip_network(address, strict=False) for address in addresses]


def _query_values(query: bytes, name: bytes) -> list[bytes]:
    """The values of `name` in a query string, byte for byte (raw or percent-encoded)."""
    values = []
    for field in query.split(b"&"):
        key, _, value = field.partition(b"=")
        if unquote_to_bytes(key.replace(b"+", b" ")) == name:
            values.append(unquote_to_bytes(value.replace(b"+", b" ")))
    return values


def _too_long(length: bytes, limit: float) -> bool:
    """Whether a Content-Length declares more than `limit` bytes. One of 19 digits or
    more counts as 10**18, so int() stays cheap; one that is not a number is left to
    the body's own count."""
    return length.isdigit() and (10**18 if len(length) > 18 else int(length)) > limit


def _client_address(
    scope: Scope, proxies: list[IPNetwork]
) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The caller's address; X-Forwarded-For counts only when a trusted proxy sent it."""
    client = scope.get("client")
    address = _ip(client[0]) if client else None
    if address is None or not any(address in proxy for proxy in proxies):
        return address
    forwarded = b",".join(v for k, v in scope["headers"] if k == b"x-forwarded-for")
    hops = [hop.strip() for hop in forwarded.decode("latin-1").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _ip(hop)
        if address is None or not any(address in proxy for proxy in proxies):
            return address
    return address


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address, IPv4-mapped IPv6 ones (from dual-stack listeners) as IPv4; None if bad."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


async def _reply(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _reply_ok(send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": list(_OK_HEADERS)})
    await send({"type": "http.response.body", "body": _OK})


def _caller_info_body(result: object) -> bytes:
    """A CallerInfoReply or a dict of its fields as the JSON answer, every value a string."""
    if isinstance(result, dict):
        fields = attrs.fields_dict(CallerInfoReply)
        result = CallerInfoReply(**{k: v for k, v in result.items() if k in fields})
    if not isinstance(result, CallerInfoReply):
        raise TypeError(f"expected a CallerInfoReply or a dict, got {type(result).__name__}")
    return json.dumps(result.to_json()).encode()


async def _reply_error(send: Send, status: int, message: str) -> None:
    body = json.dumps({"status": "error", "message": message}).encode()
    await _reply(send, status, body, _JSON)
