"""Callsavvy: AsyncCallsavvy for sync code (Django and Flask views, Celery tasks, scripts)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import TracebackType
from typing import Self

import httpx

from callsavvy_async._client import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    AsyncCallsavvy,
)
from callsavvy_async._sync import _resources as views
from callsavvy_async._sync._portal import Runner

__all__ = ["Callsavvy"]


class Callsavvy:
    """The Callsavvy API client for sync code: the same constructor, resources and methods
    as AsyncCallsavvy (bulk sends included), each call blocking until it is done.

    It runs one AsyncCallsavvy on an event loop in a thread of its own (an anyio blocking
    portal), so it is safe to share between threads: every call, from any thread, is a
    task on that loop, sharing its connection pool. Use it as `with Callsavvy() as cs:` or
    call `cs.close()`. Ctrl-C during a call cancels it and waits for it to settle (a bulk
    send finishes its in-flight batches and leaves its journal consistent).

    Arguments: as for AsyncCallsavvy, except that `http_client` and `transport` must be
    httpx's async ones (they run on the client's loop).
    """

    def __init__(
        self,
        *,
        public_key: str | None = None,
        private_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        client = AsyncCallsavvy(
            public_key=public_key,
            private_key=private_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_connections=max_connections,
            default_headers=default_headers,
            http_client=http_client,
            transport=transport,
        )
        self._setup(client, Runner(), owner=True)

    @classmethod
    def wrap(cls, client: AsyncCallsavvy) -> Callsavvy:
        """A sync client over an AsyncCallsavvy you made (the sandbox's, say); closing the
        sync client closes it."""
        sync = object.__new__(cls)
        sync._setup(client, Runner(), owner=True)
        return sync

    def _setup(self, client: AsyncCallsavvy, runner: Runner, *, owner: bool) -> None:
        self._async = client
        self._runner = runner
        self._owner = owner
        self.account = views.SyncAccount(runner, client.account)
        self.departments = views.SyncDepartments(runner, client.departments)
        self.categories = views.SyncCategories(runner, client.categories)
        self.agents = views.SyncAgents(runner, client.agents)
        self.tickets = views.SyncTickets(runner, client.tickets)
        self.calls = views.SyncCalls(runner, client.calls)
        self.chats = views.SyncChats(runner, client.chats)
        self.messengers = views.SyncMessengers(runner, client.messengers)
        self.sms = views.SyncSms(runner, client.sms)
        self.robocalls = views.SyncRobocalls(runner, client.robocalls)
        self.whatsapp = views.SyncWhatsapp(runner, client.whatsapp)
        self.meetings = views.SyncMeetings(runner, client.meetings)
        self.contacts = views.SyncContacts(runner, client.contacts)
        self.contact_groups = views.SyncContactGroups(runner, client.contact_groups)

    @property
    def async_client(self) -> AsyncCallsavvy:
        """The AsyncCallsavvy underneath (its calls must run on this client's loop)."""
        return self._async

    @property
    def http_client(self) -> httpx.AsyncClient:
        return self._async.http_client

    @property
    def base_url(self) -> str:
        return self._async.base_url

    @property
    def max_retries(self) -> int:
        return self._async.max_retries

    @property
    def timeout(self) -> float | httpx.Timeout | None:
        return self._async.timeout

    @property
    def max_connections(self) -> int:
        return self._async.max_connections

    @functools.cached_property
    def with_raw_response(self) -> SyncWithRawResponse:
        """The same resources, whose methods return a RawResponse."""
        return SyncWithRawResponse(self._runner, self._async._raw_mode())

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = NOT_GIVEN,
        max_retries: int = NOT_GIVEN,
        default_headers: Mapping[str, str] | None = NOT_GIVEN,
    ) -> Callsavvy:
        """A client with other settings sharing this one's loop, pool and keys; closing it
        leaves them open: close the original."""
        clone = object.__new__(Callsavvy)
        changed = self._async.with_options(
            timeout=timeout, max_retries=max_retries, default_headers=default_headers
        )
        clone._setup(changed, self._runner, owner=False)
        return clone

    def close(self) -> None:
        """Close the connection pool and stop the loop thread (not for a with_options copy)."""
        if self._owner:
            self._owner = False
            try:
                self._runner.run(self._async.aclose)
            finally:
                self._runner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Callsavvy(base_url={self.base_url!r})"


class SyncWithRawResponse:
    """`cs.with_raw_response` of the sync client."""

    def __init__(self, runner: Runner, raw: AsyncCallsavvy) -> None:
        self.account = views.SyncAccountRaw(runner, raw.account)
        self.departments = views.SyncDepartmentsRaw(runner, raw.departments)
        self.categories = views.SyncCategoriesRaw(runner, raw.categories)
        self.agents = views.SyncAgentsRaw(runner, raw.agents)
        self.tickets = views.SyncTicketsRaw(runner, raw.tickets)
        self.calls = views.SyncCallsRaw(runner, raw.calls)
        self.chats = views.SyncChatsRaw(runner, raw.chats)
        self.messengers = views.SyncMessengersRaw(runner, raw.messengers)
        self.sms = views.SyncSmsRaw(runner, raw.sms)
        self.robocalls = views.SyncRobocallsRaw(runner, raw.robocalls)
        self.whatsapp = views.SyncWhatsappRaw(runner, raw.whatsapp)
        self.meetings = views.SyncMeetingsRaw(runner, raw.meetings)
        self.contacts = views.SyncContactsRaw(runner, raw.contacts)
        self.contact_groups = views.SyncContactGroupsRaw(runner, raw.contact_groups)
