"""Sandbox: the whole Callsavvy API in memory, for tests, demos and trying things out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import httpx

from callsavvy_async._client import AsyncCallsavvy
from callsavvy_async.sandbox._app import SandboxApp
from callsavvy_async.sandbox._emitter import Target, post_event
from callsavvy_async.sandbox._faults import FaultPlan, Faults, Latency, LostAnswer
from callsavvy_async.sandbox._ledger import LedgerEntry
from callsavvy_async.sandbox._state import Account, Record
from callsavvy_async.sandbox._transport import InProcessTransport

__all__ = ["BASE_URL", "TEST_PRIVATE_KEY", "TEST_PUBLIC_KEY", "Sandbox"]

TEST_PUBLIC_KEY = "TEST-hdo76HDCGAjfig4jbnyUI4734BNDY"
TEST_PRIVATE_KEY = "TEST-934HDHD84JDVBPSW73BYjegh494WD9084NFUih34-9974r"
BASE_URL = "http://sandbox.callsavvy.invalid/v1"


class Sandbox:
    """An in-memory, stateful Callsavvy account behind a raw ASGI app.

    Accepts the documented TEST keys and any `keys` pairs given; `ledger` lists every
    accepted send per recipient; `inject()` adds faults; `emit()` fires webhook events.
    """

    PUBLIC_KEY = TEST_PUBLIC_KEY
    PRIVATE_KEY = TEST_PRIVATE_KEY

    def __init__(
        self,
        *,
        seed: int | None = 0,
        keys: Iterable[tuple[str, str]] = (),
        webhook_target: Target | None = None,
        lost_answer_delay: float = 30.0,
    ) -> None:
        self.account = Account(seed)
        self.faults = Faults(seed)
        self.requests: Counter[str] = Counter()
        self.webhook_target = webhook_target
        self._keys = {(TEST_PUBLIC_KEY, TEST_PRIVATE_KEY), *keys}
        self._pending_events: list[tuple[str, dict[str, object]]] = []
        self.account.on_new_ticket = self._ticket_opened
        self.app = SandboxApp(
            self.account,
            self.faults,
            self._keys,
            self.requests,
            self._fire_pending,
            lost_answer_delay,
        )

    @property
    def ledger(self) -> list[LedgerEntry]:
        return self.account.ledger

    def __repr__(self) -> str:
        return f"Sandbox(ledger={len(self.ledger)} entries, requests={sum(self.requests.values())})"

    def client(self, **options: Any) -> AsyncCallsavvy:
        """An AsyncCallsavvy wired to this sandbox in-process (no sockets)."""
        options.setdefault("public_key", TEST_PUBLIC_KEY)
        options.setdefault("private_key", TEST_PRIVATE_KEY)
        options.setdefault("base_url", BASE_URL)
        return AsyncCallsavvy(transport=InProcessTransport(self.app), **options)

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport to this sandbox, for an httpx.AsyncClient of your own."""
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
        """Faults for `resource` (every resource when None), replacing earlier ones."""
        plan = FaultPlan(
            latency=latency,
            server_error_rate=server_error_rate,
            rate_limit_rate=rate_limit_rate,
            retry_after=retry_after,
            lost_answer_rate=lost_answer_rate,
            lost_answer=lost_answer,
        )
        self.faults.set(resource, plan)

    def clear_faults(self) -> None:
        self.faults.clear()

    async def emit(
        self, event: str, target: Target | None = None, **overrides: object
    ) -> httpx.Response:
        """Fire a sample `event` at `target` (a URL or an ASGI app; default webhook_target)."""
        destination = target if target is not None else self.webhook_target
        if destination is None:
            raise ValueError("no target: pass one or set webhook_target")
        return await post_event(destination, event, overrides)

    def _ticket_opened(self, ticket: Record) -> None:
        if self.webhook_target is not None:
            overrides: dict[str, object] = {
                "ticket_id": ticket["ticket_id"],
                "ticket_department": ticket["department_id"],
                "ticket_subject": ticket["subject"],
                "sender_email": ticket["sender_email"],
                "ticket_status": ticket["ticket_status"],
            }
            self._pending_events.append(("newTicketOpened", overrides))

    async def _fire_pending(self) -> None:
        while self._pending_events and self.webhook_target is not None:
            event, overrides = self._pending_events.pop(0)
            await post_event(self.webhook_target, event, overrides)
