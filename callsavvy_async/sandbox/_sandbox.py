"""Sandbox: the whole Callsavvy API in memory, for tests, demos and trying things out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import httpx

from callsavvy_async._client import AsyncCallsavvy
from callsavvy_async.sandbox._app import HANDLERS, SandboxApp
from callsavvy_async.sandbox._emitter import Target, fire_events, post_event
from callsavvy_async.sandbox._faults import FaultPlan, Faults, Latency, LostAnswer
from callsavvy_async.sandbox._ledger import LedgerEntry
from callsavvy_async.sandbox._payloads import state_fields
from callsavvy_async.sandbox._seed import seeded_state
from callsavvy_async.sandbox._state import Event
from callsavvy_async.sandbox._transport import InProcessTransport

__all__ = ["BASE_URL", "RESOURCES", "TEST_PRIVATE_KEY", "TEST_PUBLIC_KEY", "Sandbox"]

TEST_PUBLIC_KEY = "TEST-hdo76HDCGAjfig4jbnyUI4734BNDY"
TEST_PRIVATE_KEY = "TEST-934HDHD84JDVBPSW73BYjegh494WD9084NFUih34-9974r"
BASE_URL = "http://sandbox.callsavvy.invalid/v1"
RESOURCES: tuple[str, ...] = tuple(HANDLERS)


class Sandbox:
    """An in-memory, stateful Callsavvy account behind a raw ASGI app (`app`).

    It accepts the documented TEST keys and the `keys` pairs given. The same `seed` gives
    the same records, ids, send statuses and fault draws (None: a fresh draw each time).
    `ledger` lists every accepted send per recipient, `requests` counts requests per
    resource, `inject()` adds faults, `emit()` fires webhook events, and with
    `webhook_target` set, new tickets and robocalls fire newTicketOpened and callSummary.
    `state` holds the raw records and balances, for tests that need to arrange them.
    Served on a socket, a "timeout" lost answer keeps the connection silent until the
    client gives up or `lost_answer_wait` seconds pass.
    """

    PUBLIC_KEY = TEST_PUBLIC_KEY
    PRIVATE_KEY = TEST_PRIVATE_KEY
    BASE_URL = BASE_URL

    def __init__(
        self,
        seed: int | None = 0,
        keys: Iterable[tuple[str, str]] | None = None,
        *,
        webhook_target: Target | None = None,
        lost_answer_wait: float = 30.0,
    ) -> None:
        self.state = seeded_state(seed)
        self.requests: Counter[str] = Counter()
        self._faults = Faults(seed)
        pairs = [(TEST_PUBLIC_KEY, TEST_PRIVATE_KEY), *(keys or ())]
        self._keys = {(public.encode(), private.encode()) for public, private in pairs}
        self._webhook_target: Target | None = None
        self.webhook_target = webhook_target
        self.app = SandboxApp(
            self.state, self._faults, self._keys, self.requests, self._fire, lost_answer_wait
        )

    @property
    def ledger(self) -> list[LedgerEntry]:
        """Every accepted send, one entry per recipient, oldest first."""
        return self.state.ledger

    @property
    def webhook_target(self) -> Target | None:
        """Where state changes fire their webhook events (None: nowhere)."""
        return self._webhook_target

    @webhook_target.setter
    def webhook_target(self, target: Target | None) -> None:
        self._webhook_target = target
        self.state.outbox = None if target is None else []

    def __repr__(self) -> str:
        return f"Sandbox(ledger={len(self.ledger)}, requests={self.requests.total()})"

    def client(self, **options: Any) -> AsyncCallsavvy:
        """An AsyncCallsavvy wired to this sandbox in-process (no sockets); `options` go to
        AsyncCallsavvy (max_retries, timeout, other keys...)."""
        options.setdefault("public_key", TEST_PUBLIC_KEY)
        options.setdefault("private_key", TEST_PRIVATE_KEY)
        options.setdefault("base_url", BASE_URL)
        options.setdefault("transport", self.transport())
        return AsyncCallsavvy(**options)

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport into this sandbox, for an httpx.AsyncClient of your own."""
        return InProcessTransport(self.app)

    def inject(
        self,
        resource: str | None = None,
        *,
        latency: Latency = None,
        server_error_rate: float = 0.0,
        rate_limit_rate: float = 0.0,
        retry_after: float = 1.0,
        lost_answer_rate: float = 0.0,
        lost_answer: LostAnswer = "disconnect",
    ) -> None:
        """Faults for `resource` (None: every resource without faults of its own),
        replacing the ones set before for it. Rates are shares of requests, 0 to 1;
        `latency` is seconds or a (low, high) range; a lost answer is processed, then the
        client sees a dropped connection ("disconnect") or no answer ("timeout")."""
        if resource is not None and resource not in HANDLERS:
            raise ValueError(f"unknown resource {resource!r}; known: {', '.join(HANDLERS)}")
        plan = FaultPlan(
            latency=latency,
            server_error_rate=server_error_rate,
            rate_limit_rate=rate_limit_rate,
            retry_after=retry_after,
            lost_answer_rate=lost_answer_rate,
            lost_answer=lost_answer,
        )
        self._faults.set(resource, plan)

    def clear_faults(self) -> None:
        self._faults.clear()

    async def emit(
        self, event_name: str, target: Target | None = None, **overrides: object
    ) -> httpx.Response:
        """Fire `event_name` at `target` (default: `webhook_target`) and return the answer.

        Fields come from the sandbox's records; `overrides` replace them, and an override
        of None leaves the field out. `target` is a URL, an ASGI app, or (app, path).
        """
        destination = self._webhook_target if target is None else target
        if destination is None:
            raise ValueError("no webhook target: pass one or set webhook_target")
        fields: dict[str, object] = {**state_fields(self.state, event_name), **overrides}
        return await post_event(destination, event_name, fields)

    async def _fire(self, events: list[Event]) -> None:
        if self._webhook_target is not None and events:
            await fire_events(self._webhook_target, events)
