"""AsyncCallsavvy: configuration, one pooled httpx.AsyncClient, and the request pipeline."""

from __future__ import annotations

import json
import logging
import os
import platform
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import cattrs
import httpx

from callsavvy_async import _retry
from callsavvy_async._convert import converter
from callsavvy_async._dispatch import ClientDispatch, Dispatch, TransportDispatch, environment_proxy
from callsavvy_async._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    InvalidRequestError,
    OutcomeUnknownError,
    UnexpectedResponseError,
)
from callsavvy_async._response import read_envelope, redact
from callsavvy_async._retry import RetryPolicy
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

logger = logging.getLogger("callsavvy_async")


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
        dispatch = _build_dispatch(
            http_client, transport, headers, timeout, max_connections, base_url
        )
        self._configure(
            dispatch=dispatch,
            owns_dispatch=True,
            secret=str(private_key),
            base_url=base_url,
            timeout=timeout,
            retry_policy=RetryPolicy(max_retries=max_retries),
            max_connections=max_connections,
        )

    def _configure(
        self,
        *,
        dispatch: Dispatch,
        owns_dispatch: bool,
        secret: str,
        base_url: str,
        timeout: float | httpx.Timeout | None,
        retry_policy: RetryPolicy,
        max_connections: int,
    ) -> None:
        self._dispatch = dispatch
        self._owns_dispatch = owns_dispatch
        self._secret = secret
        self._base_url = base_url
        self._urls: dict[str, httpx.URL] = {}
        self._timeout = timeout
        self._request_timeout = (
            timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        )
        self._retry_policy = retry_policy
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
    def base_url(self) -> str:
        return self._base_url

    @property
    def max_retries(self) -> int:
        return self._retry_policy.max_retries

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
        clone = object.__new__(AsyncCallsavvy)
        clone._configure(
            dispatch=self._dispatch,
            owns_dispatch=False,
            secret=self._secret,
            base_url=self._base_url,
            timeout=self._timeout if timeout is _UNSET else timeout,
            retry_policy=self._retry_policy
            if max_retries is _UNSET
            else RetryPolicy(max_retries=max_retries),
            max_connections=self._max_connections,
        )
        return clone

    async def aclose(self) -> None:
        """Close the connection pool, unless it belongs to a user-supplied http_client."""
        if self._owns_dispatch:
            await self._dispatch.aclose()

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
        return f"AsyncCallsavvy(base_url={self._base_url!r})"

    async def _call(
        self, resource: str, body: Mapping[str, Any], result_type: type[_T], *, write: bool
    ) -> _T:
        """POST `body` to `resource` and decode the envelope's data as `result_type`."""
        data = await self._post(resource, body, write=write)
        try:
            return converter.structure(data, result_type)
        except Exception as exc:
            if write:
                raise OutcomeUnknownError(
                    f"the server said success but its answer could not be read as "
                    f"{_type_name(result_type)} ({_decode_problem(exc)}): the request was "
                    "carried out; check its result before sending again",
                    resource=resource,
                ) from exc
            raise UnexpectedResponseError(
                f"could not decode the answer as {_type_name(result_type)}: {_decode_problem(exc)}",
                resource=resource,
                status_code=200,
                body=data,
            ) from exc

    async def _post(self, resource: str, body: Mapping[str, Any], *, write: bool) -> Any:
        """Send one request with the retry policy; return the envelope's data."""
        url = self._url(resource)
        content = _encode_json(body)
        policy = self._retry_policy
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = await self._dispatch.send(url, content, self._request_timeout)
            except httpx.RequestError as exc:
                if attempt < policy.max_retries and policy.should_retry_exception(exc, write=write):
                    await self._backoff(resource, attempt, type(exc).__name__)
                    attempt += 1
                    continue
                raise _transport_failure(resource, exc, write=write) from exc
            except Exception as exc:
                raise _client_failure(resource, exc, write=write) from exc
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s -> HTTP %s in %.3fs",
                    resource,
                    response.status_code,
                    time.perf_counter() - started,
                )
            try:
                return read_envelope(resource, response)
            except APIError as error:
                redact(error, self._secret)
                status = response.status_code
                if attempt < policy.max_retries and policy.should_retry_status(status, write=write):
                    await self._backoff(resource, attempt, f"HTTP {status}", error)
                    attempt += 1
                    continue
                if write and _may_have_been_processed(status, error):
                    raise OutcomeUnknownError(
                        f"HTTP {status} after the request was sent: it may have been "
                        "processed; check before sending again",
                        resource=resource,
                    ) from error
                raise

    def _url(self, resource: str) -> httpx.URL:
        url = self._urls.get(resource)
        if url is None:
            url = self._urls[resource] = httpx.URL(f"{self._base_url}/{resource}")
        return url

    async def _backoff(
        self, resource: str, attempt: int, cause: str, error: APIError | None = None
    ) -> None:
        delay = self._retry_policy.delay(attempt, getattr(error, "retry_after", None))
        logger.debug("%s: retry %d after %s in %.2fs", resource, attempt + 1, cause, delay)
        await _retry.sleep(delay)


def _encode_json(body: Mapping[str, Any]) -> bytes:
    """The request body as compact UTF-8 JSON, as httpx's `json=` would encode it."""
    try:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return text.encode()
    except UnicodeEncodeError:
        raise InvalidRequestError(
            "text arguments must be valid Unicode (a lone surrogate?)"
        ) from None
    except (TypeError, ValueError) as exc:
        raise InvalidRequestError(f"an argument cannot be sent as JSON: {exc}") from None


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


def _build_dispatch(
    http_client: httpx.AsyncClient | None,
    transport: httpx.AsyncBaseTransport | None,
    headers: dict[str, str],
    timeout: float | httpx.Timeout | None,
    max_connections: int,
    base_url: str,
) -> Dispatch:
    """A user's client as given; else our own pool, through an AsyncClient only when an
    environment proxy must be honoured."""
    if http_client is not None:
        return ClientDispatch(http_client, headers, owned=False)
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=30.0,
    )
    if transport is None and environment_proxy(base_url):
        client = httpx.AsyncClient(headers=headers, timeout=timeout, limits=limits)
        return ClientDispatch(client, {}, owned=True)
    return TransportDispatch(transport or PoolTransport(limits=limits), headers)


def _transport_failure(
    resource: str, exc: httpx.RequestError, *, write: bool
) -> APIConnectionError:
    """The public error for a request that got no answer."""
    if isinstance(exc, _retry.NOT_SENT_ERRORS):
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(
                f"timed out before sending ({type(exc).__name__})", resource=resource
            )
        return APIConnectionError(f"could not connect ({type(exc).__name__})", resource=resource)
    if write:
        return OutcomeUnknownError(
            f"no answer after the request was sent ({type(exc).__name__}): it may have been "
            "processed; check before sending again",
            resource=resource,
        )
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"no answer in time ({type(exc).__name__})", resource=resource)
    return APIConnectionError(f"connection failed ({type(exc).__name__})", resource=resource)


def _client_failure(resource: str, exc: Exception, *, write: bool) -> APIConnectionError:
    """The public error for something else the HTTP client raised (a user's event hook,
    say): a write may have gone out by then, so it is never sent again."""
    if write:
        return OutcomeUnknownError(
            f"the HTTP client failed after the request may have been sent "
            f"({type(exc).__name__}): check before sending again",
            resource=resource,
        )
    return APIConnectionError(f"the HTTP client failed ({type(exc).__name__})", resource=resource)


def _may_have_been_processed(status: int, error: APIError) -> bool:
    """Whether a write that got this answer may nonetheless have been carried out."""
    unreadable_success = status < 300 and isinstance(error, UnexpectedResponseError)
    return status >= 500 or status == 408 or unreadable_success


def _type_name(result_type: Any) -> str:
    return getattr(result_type, "__name__", None) or str(result_type)


def _decode_problem(exc: Exception) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(exc))
    return str(exc)
