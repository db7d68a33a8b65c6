"""AsyncCallsavvy: configuration, one pooled httpx.AsyncClient, and the request pipeline."""

from __future__ import annotations

import os
import platform
import urllib.request
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from callsavvy_async._errors import InvalidRequestError
from callsavvy_async._pipeline import Pipeline, RetryPolicy
from callsavvy_async._transport import PoolTransport
from callsavvy_async._version import __version__
from callsavvy_async.resources import (
    Account,
    Agents,
    Calls,
    Categories,
    Chats,
    ContactGroups,
    Contacts,
    Departments,
    Meetings,
    Messengers,
    Robocalls,
    Sms,
    Tickets,
    Whatsapp,
)

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "AsyncCallsavvy"]

_T = TypeVar("_T")

DEFAULT_BASE_URL = "https://api.getcallsavvy.com/v1"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_MAX_CONNECTIONS = 100
USER_AGENT = (
    f"callsavvy-async/{__version__} httpx/{httpx.__version__} python/{platform.python_version()}"
)


class _Unset:
    """Marker for with_options() arguments the caller did not pass."""


_UNSET: Any = _Unset()


class AsyncCallsavvy:
    """The Callsavvy API client: one per application, shared by all its tasks.

    Use it as `async with AsyncCallsavvy(...) as cs:` or call `await cs.aclose()`.
    Keys default to the CALLSAVVY_PUBLIC_KEY and CALLSAVVY_PRIVATE_KEY variables.
    """

    account: Account
    departments: Departments
    categories: Categories
    agents: Agents
    tickets: Tickets
    calls: Calls
    chats: Chats
    messengers: Messengers
    sms: Sms
    robocalls: Robocalls
    whatsapp: Whatsapp
    meetings: Meetings
    contacts: Contacts
    contact_groups: ContactGroups

    def __init__(
        self,
        *,
        public_key: str | None = None,
        private_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        public_key = public_key or os.environ.get("CALLSAVVY_PUBLIC_KEY")
        private_key = private_key or os.environ.get("CALLSAVVY_PRIVATE_KEY")
        missing = [
            name
            for name, value in (("public_key", public_key), ("private_key", private_key))
            if not value
        ]
        if missing:
            raise InvalidRequestError(
                f"missing {' and '.join(missing)}: pass it to AsyncCallsavvy() or set "
                "CALLSAVVY_PUBLIC_KEY and CALLSAVVY_PRIVATE_KEY"
            )
        for name, key in (("public_key", public_key), ("private_key", private_key)):
            if not _usable_key(key):
                raise InvalidRequestError(
                    f"{name} must be printable ASCII with no spaces around it (check for a "
                    "trailing newline from a file or an environment variable)"
                )
        if max_retries < 0:
            raise InvalidRequestError("max_retries must be 0 or more")
        if http_client is not None and transport is not None:
            raise InvalidRequestError("pass http_client or transport, not both")
        if max_connections < 1:
            raise InvalidRequestError("max_connections must be at least 1")
        base_url = (base_url or os.environ.get("CALLSAVVY_BASE_URL") or DEFAULT_BASE_URL).rstrip(
            "/"
        )
        _check_base_url(base_url)
        headers = {
            "Public-Key": str(public_key),
            "Private-Key": str(private_key),
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        request_timeout = _as_timeout(timeout)
        owns_client = http_client is None
        if http_client is None:
            http_client = _build_http_client(transport, request_timeout, max_connections, base_url)
        self._configure(
            Pipeline(
                http_client=http_client,
                base_url=base_url,
                headers=headers,
                timeout=request_timeout,
                retry_policy=RetryPolicy(max_retries=max_retries),
                secret=str(private_key),
            ),
            owns_client=owns_client,
            timeout=timeout,
            max_connections=max_connections,
        )

    def _configure(
        self,
        pipeline: Pipeline,
        *,
        owns_client: bool,
        timeout: float | httpx.Timeout | None,
        max_connections: int,
    ) -> None:
        self._pipeline = pipeline
        self._owns_client = owns_client
        self._timeout = timeout
        self._max_connections = max_connections
        self.account = Account(self)
        self.departments = Departments(self)
        self.categories = Categories(self)
        self.agents = Agents(self)
        self.tickets = Tickets(self)
        self.calls = Calls(self)
        self.chats = Chats(self)
        self.messengers = Messengers(self)
        self.sms = Sms(self)
        self.robocalls = Robocalls(self)
        self.whatsapp = Whatsapp(self)
        self.meetings = Meetings(self)
        self.contacts = Contacts(self)
        self.contact_groups = ContactGroups(self)

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The one httpx.AsyncClient every request goes through, bulk sends included: its
        event hooks, auth, mounts and instrumentation see every call."""
        return self._pipeline.http_client

    @property
    def base_url(self) -> str:
        return self._pipeline.base_url

    @property
    def max_retries(self) -> int:
        return self._pipeline.retry_policy.max_retries

    @property
    def timeout(self) -> float | httpx.Timeout | None:
        return self._timeout

    @property
    def max_connections(self) -> int:
        """Connections the pool may open (for a user's own http_client, as declared here)."""
        return self._max_connections

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = _UNSET,
        max_retries: int = _UNSET,
    ) -> AsyncCallsavvy:
        """A client with other settings that shares this one's connection pool and keys.

        Closing the copy leaves the pool open: close the original.
        """
        if max_retries is not _UNSET and max_retries < 0:
            raise InvalidRequestError("max_retries must be 0 or more")
        pipeline = self._pipeline
        clone = object.__new__(AsyncCallsavvy)
        clone._configure(
            Pipeline(
                http_client=pipeline.http_client,
                base_url=pipeline.base_url,
                headers=pipeline.headers,
                timeout=pipeline.timeout if timeout is _UNSET else _as_timeout(timeout),
                retry_policy=pipeline.retry_policy
                if max_retries is _UNSET
                else RetryPolicy(max_retries=max_retries),
                secret=pipeline._secret,
            ),
            owns_client=False,
            timeout=self._timeout if timeout is _UNSET else timeout,
            max_connections=self._max_connections,
        )
        return clone

    async def aclose(self) -> None:
        """Close the connection pool, unless it belongs to a user-supplied http_client."""
        if self._owns_client:
            await self._pipeline.http_client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncCallsavvy(base_url={self.base_url!r})"

    async def _call(
        self, resource: str, body: Mapping[str, Any], result_type: type[_T], *, write: bool
    ) -> _T:
        """POST `body` to `resource` and decode the envelope's data as `result_type`."""
        return await self._pipeline.call(resource, body, result_type, write=write)


def _as_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    return timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)


def _usable_key(key: object) -> bool:
    """Whether a key can go in a header as it is: printable ASCII, no surrounding spaces."""
    return isinstance(key, str) and key.isascii() and key.isprintable() and key == key.strip()


def _check_base_url(base_url: str) -> None:
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL:
        raise InvalidRequestError(f"base_url is not a valid URL: {base_url!r}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidRequestError(f"base_url must be an http:// or https:// URL: {base_url!r}")


def _build_http_client(
    transport: httpx.AsyncBaseTransport | None,
    timeout: httpx.Timeout,
    max_connections: int,
    base_url: str,
) -> httpx.AsyncClient:
    """Our own client: on PoolTransport (or the transport given), or on httpx's default
    one when an environment proxy must be honoured, which PoolTransport does not do."""
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=30.0,
    )
    if transport is None and _environment_proxy(base_url):
        return httpx.AsyncClient(timeout=timeout, limits=limits)
    return httpx.AsyncClient(transport=transport or PoolTransport(limits=limits), timeout=timeout)


def _environment_proxy(url: str) -> bool:
    """Whether HTTP(S)_PROXY-style variables route `url` through a proxy."""
    proxies = urllib.request.getproxies()
    parsed = httpx.URL(url)
    if not (proxies.get(parsed.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(parsed.host)
