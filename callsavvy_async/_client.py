"""AsyncCallsavvy: configuration, one pooled httpx.AsyncClient, and the request pipeline."""

from __future__ import annotations

import functools
import os
import platform
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar, cast

import httpx

from callsavvy_async._errors import InvalidRequestError
from callsavvy_async._pipeline import (
    Decode,
    Pipeline,
    RetryPolicy,
    as_timeout,
    build_http_client,
    check_headers,
)
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
    WithRawResponse,
)

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "AsyncCallsavvy"]

_T = TypeVar("_T")

DEFAULT_BASE_URL = "https://api.getcallsavvy.com/v1"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_MAX_CONNECTIONS = 100
USER_AGENT = (
    f"callsavvy-async/{__version__} httpx/{httpx.__version__} python/{platform.python_version()}"
)


class NotGiven:
    """The default of with_options() arguments left as they are."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN: Any = NotGiven()
MIN_KEY_LENGTH = 8


class AsyncCallsavvy:
    """The Callsavvy API client: one per application, shared by all its tasks.

    Use it as `async with AsyncCallsavvy(...) as cs:` or call `await cs.aclose()`.

    Args:
        public_key: the account's public API key (default: CALLSAVVY_PUBLIC_KEY).
        private_key: the account's private API key (default: CALLSAVVY_PRIVATE_KEY),
            never shown in a repr, a log line or an error.
        base_url: the API's root (default: CALLSAVVY_BASE_URL, else
            https://api.getcallsavvy.com/v1).
        timeout: seconds or an httpx.Timeout for every request (default 30 s, 10 s to
            connect); None for no limit. A call's own `timeout=` wins.
        max_retries: retries of a failed request that is safe to retry (default 2).
        max_connections: connections the pool may open (default 100).
        default_headers: headers sent with every request (not the key headers).
        http_client: your own httpx.AsyncClient (its hooks, proxies and transport apply);
            it is not closed by `aclose()`.
        transport: an httpx transport for the client we make (tests, httpx-aiohttp).

    Resources: account (Account), departments (Departments), categories (Categories),
    agents (Agents), tickets (Tickets), calls (Calls), chats (Chats), messengers
    (Messengers), sms (Sms), robocalls (Robocalls), whatsapp (Whatsapp), meetings
    (Meetings), contacts (Contacts), contact_groups (ContactGroups). Every method takes
    the keyword-only options extra_headers, extra_body and timeout.
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
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        public_key, private_key = _keys(public_key, private_key)
        _check_retries(max_retries)
        if http_client is not None and transport is not None:
            raise InvalidRequestError("pass http_client or transport, not both")
        if max_connections < 1:
            raise InvalidRequestError("max_connections must be at least 1")
        base_url = (base_url or os.environ.get("CALLSAVVY_BASE_URL") or DEFAULT_BASE_URL).rstrip(
            "/"
        )
        _check_base_url(base_url)
        headers = {
            "Public-Key": public_key,
            "Private-Key": private_key,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            **check_headers(default_headers, "default_headers"),
        }
        request_timeout = as_timeout(timeout)
        owns_client = http_client is None
        if http_client is None:
            http_client = build_http_client(transport, request_timeout, max_connections, base_url)
        pipeline = Pipeline(
            http_client=http_client,
            base_url=base_url,
            headers=headers,
            timeout=request_timeout,
            retry_policy=RetryPolicy(max_retries=max_retries),
            secret=private_key,
        )
        self._configure(
            pipeline, owns_client=owns_client, timeout=timeout, max_connections=max_connections
        )

    def _configure(
        self,
        pipeline: Pipeline,
        *,
        owns_client: bool,
        timeout: float | httpx.Timeout | None,
        max_connections: int,
        raw: bool = False,
    ) -> None:
        self._pipeline = pipeline
        self._owns_client = owns_client
        self._timeout = timeout
        self._max_connections = max_connections
        self._raw = raw
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

    @functools.cached_property
    def with_raw_response(self) -> WithRawResponse:
        """The same resources, whose methods return a RawResponse (status code, headers,
        the httpx.Response, and `parse()` for the model)."""
        return WithRawResponse(self._raw_mode())

    def _raw_mode(self) -> AsyncCallsavvy:
        """This client with its methods returning RawResponse (the raw views type them)."""
        return self._derive(self._pipeline, timeout=self._timeout, raw=True)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = NOT_GIVEN,
        max_retries: int = NOT_GIVEN,
        default_headers: Mapping[str, str] | None = NOT_GIVEN,
    ) -> AsyncCallsavvy:
        """A client with other settings that shares this one's connection pool and keys;
        `default_headers` are merged over this client's.

        Closing the copy leaves the pool open: close the original.
        """
        pipeline = self._pipeline
        changes: dict[str, Any] = {}
        if timeout is not NOT_GIVEN:
            changes["timeout"] = as_timeout(timeout)
        if max_retries is not NOT_GIVEN:
            _check_retries(max_retries)
            changes["retry_policy"] = RetryPolicy(max_retries=max_retries)
        if default_headers is not NOT_GIVEN:
            headers = httpx.Headers(pipeline.headers)
            headers.update(check_headers(default_headers, "default_headers"))
            changes["headers"] = dict(headers.multi_items())
        return self._derive(
            pipeline.replace(**changes),
            timeout=self._timeout if timeout is NOT_GIVEN else timeout,
        )

    def _derive(
        self, pipeline: Pipeline, *, timeout: float | httpx.Timeout | None, raw: bool = False
    ) -> AsyncCallsavvy:
        """A client on `pipeline` that does not own the HTTP client."""
        clone = object.__new__(AsyncCallsavvy)
        clone._configure(
            pipeline,
            owns_client=False,
            timeout=timeout,
            max_connections=self._max_connections,
            raw=raw,
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
        return await self._pipeline.call(resource, body, Decode(result_type), write=write)

    async def _request(
        self,
        resource: str,
        body: Mapping[str, Any],
        decode: Decode[_T],
        *,
        write: bool,
        options: Mapping[str, Any],
    ) -> _T:
        """What a resource method returns: the decoded value, or in raw mode a
        RawResponse of it (the raw views type it so)."""
        if self._raw:
            raw = await self._pipeline.call_raw(
                resource, body, decode, write=write, options=options
            )
            return cast(_T, raw)
        return await self._pipeline.call(resource, body, decode, write=write, options=options)


def _keys(public_key: str | None, private_key: str | None) -> tuple[str, str]:
    """The keys from the arguments or the environment, checked before any request."""
    public_key = public_key or os.environ.get("CALLSAVVY_PUBLIC_KEY")
    private_key = private_key or os.environ.get("CALLSAVVY_PRIVATE_KEY")
    missing = [
        name
        for name, value in (("public_key", public_key), ("private_key", private_key))
        if not value
    ]
    if missing or public_key is None or private_key is None:
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
    if len(private_key) < MIN_KEY_LENGTH:
        raise InvalidRequestError(
            f"private_key is too short to be a real key (under {MIN_KEY_LENGTH} characters)"
        )
    return public_key, private_key


def _check_retries(max_retries: object) -> None:
    if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
        raise InvalidRequestError("max_retries must be a whole number, 0 or more")


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
