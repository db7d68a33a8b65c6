"""The handlers by event, and what each event gets: a reply within its deadline or its
fallback (callerInformation, chatbotCallback), or its notification handler once (dedupe).

No ASGI here: the shell in `app` hands in typed events and writes out the bytes.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import anyio
import attrs

from callsavvy_async.webhooks.events import (
    EVENT_TYPES,
    CallerInfoReply,
    CallerInformation,
    ChatbotCallback,
    Event,
    UnknownEvent,
)

__all__ = ["DedupeKey", "Handler", "Router", "default_dedupe_key", "run_notification"]

logger = logging.getLogger("callsavvy_async.webhooks")

Handler = Callable[[Any], Any]
DedupeKey = Callable[[Event, bytes], Hashable]
_H = TypeVar("_H", bound=Handler)


class Router:
    """Handlers registered by event, the replies with their deadlines and fallbacks, and
    the memory of recent deliveries when dedupe is on."""

    def __init__(
        self,
        *,
        caller_info_timeout: float,
        caller_info_fallback: CallerInfoReply,
        chatbot_timeout: float,
        chatbot_fallback: str,
        on_unknown: Handler | None,
        dedupe: bool,
        dedupe_ttl: float,
        dedupe_size: int,
        dedupe_key: DedupeKey | None,
    ) -> None:
        self._handlers: dict[str, Handler] = {}
        self._unknown_handler = on_unknown
        self._caller_timeout = caller_info_timeout
        self._caller_fallback = caller_info_body(caller_info_fallback)
        self._chatbot_timeout = chatbot_timeout
        self._chatbot_fallback = chatbot_fallback.encode()
        self._seen = _Seen(dedupe_ttl, dedupe_size) if dedupe else None
        self._dedupe_key = dedupe_key or default_dedupe_key

    @property
    def events(self) -> list[str]:
        """The names of the events that have a handler, sorted."""
        return sorted(self._handlers)

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

    async def caller_info(self, event: CallerInformation) -> bytes:
        """The JSON answer: the handler's reply, or the fallback if it has none to give."""
        result = await self._reply_of(event, self._caller_timeout)
        if result is not None:
            try:
                return caller_info_body(result)
            except Exception:
                logger.exception("callerInformation reply unusable; answered the fallback")
        return self._caller_fallback

    async def chatbot(self, event: ChatbotCallback) -> bytes:
        """The HTML answer: the handler's text, or the fallback if it has none to give."""
        result = await self._reply_of(event, self._chatbot_timeout)
        if result is not None:
            try:
                return str(result).encode("utf-8", "replace")
            except Exception:
                logger.exception("chatbotCallback reply unusable; answered the fallback")
        return self._chatbot_fallback

    def notification_handler(self, event: Event | UnknownEvent, body: bytes) -> Handler | None:
        """The handler of a notification, None if it has none or was delivered before."""
        if isinstance(event, UnknownEvent):
            return self._unknown_handler
        if self._seen is not None and self._is_repeat(event, body):
            logger.info("%s delivered again: ignored", event.event)
            return None
        return self._handlers.get(event.event)

    async def _reply_of(self, event: Event, seconds: float) -> Any:
        """The handler's result within `seconds`, or None on timeout, error or no handler.
        A handler that returns at once needs no deadline."""
        handler = self._handlers.get(event.event)
        if handler is None:
            return None
        try:
            result = handler(event)
            if not inspect.isawaitable(result):
                return result
            with anyio.move_on_after(seconds):
                return await result
        except Exception:
            logger.exception("%s handler failed; answered the fallback", event.event)
            return None
        logger.error("%s handler took over %gs; answered the fallback", event.event, seconds)
        return None

    def _is_repeat(self, event: Event, body: bytes) -> bool:
        """Whether this delivery was seen; a failing dedupe_key lets it through, logged."""
        assert self._seen is not None
        try:
            return self._seen.repeat(self._dedupe_key(event, body))
        except Exception:
            logger.exception("dedupe_key failed for a %s event; handled it anyway", event.event)
            return False


async def run_notification(handler: Handler, event: Event | UnknownEvent) -> None:
    """Run a notification handler, sync or async; log its failure, never raise it."""
    try:
        result = handler(event)
        if inspect.isawaitable(result):
            await result
    except Exception:
        logger.exception("%s handler failed", event.event)


def caller_info_body(result: object) -> bytes:
    """A CallerInfoReply or a dict of its fields as the JSON answer, every value a string."""
    if isinstance(result, dict):
        fields = attrs.fields_dict(CallerInfoReply)
        result = CallerInfoReply(**{k: v for k, v in result.items() if k in fields})
    if not isinstance(result, CallerInfoReply):
        raise TypeError(f"expected a CallerInfoReply or a dict, got {type(result).__name__}")
    return json.dumps(result.to_json()).encode()


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
