"""An HTTP/1.1 connection pool for httpx whose cost per request does not grow with its size.

httpcore's ``AsyncConnectionPool`` re-scans all of its connections each time a request is
queued, assigned or released (upstream httpx issue 3215, httpcore pull request 1035), so
its cost per request grows with the number in flight. ``PoolTransport`` keeps httpcore's
own HTTP/1.1 connections and network backend (connect, TLS, h11, timeouts, keep-alive
expiry and server-disconnect detection are all httpcore's) and replaces only the pool:

- idle connections sit in a LIFO stack per origin: checking one out and back in is O(1);
  only the connection being reused is asked whether the server closed it;
- at most ``max_connections`` connections are open (in use plus idle); further requests
  wait in FIFO order for one to be released, up to the request's ``pool`` timeout;
- at most ``max_keepalive_connections`` idle connections are kept, none longer than
  ``keepalive_expiry`` seconds.

It runs wherever anyio runs (asyncio and trio), is not thread-safe, speaks HTTP/1.1 only
and does not do proxies: pass your own ``httpx.AsyncClient`` for HTTP/2 or a proxy.

    transport = PoolTransport(limits=httpx.Limits(max_connections=64))
    async with httpx.AsyncClient(transport=transport) as client: ...
"""

from __future__ import annotations

import contextlib
import ssl
import time
from collections import deque
from collections.abc import AsyncIterable, Iterable
from typing import Final, TypeAlias

import anyio
import httpcore
import httpx

from callsavvy_async._transport._streams import (
    ClosingBody,
    PooledBody,
    SocketOption,
    WatchedBackend,
    WatchedStream,
    httpx_error,
)

__all__ = ["PoolTransport"]

_Origin: TypeAlias = tuple[bytes, bytes, int | None]
DEFAULT_LIMITS: Final = httpx.Limits(
    max_connections=100, max_keepalive_connections=100, keepalive_expiry=5.0
)


class _Waiter:
    """A request waiting for a free connection slot."""

    __slots__ = ("event", "granted")

    def __init__(self) -> None:
        self.event = anyio.Event()
        self.granted = False


class PoolTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncBaseTransport`` over an O(1) pool of HTTP/1.1 connections.

    Arguments mean what they mean for ``httpx.AsyncHTTPTransport``; ``limits`` defaults to
    100 connections, all of which may stay alive for 5 seconds when idle.
    """

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | str | bool = True,
        cert: str | tuple[str, str] | tuple[str, str, str] | None = None,
        trust_env: bool = True,
        limits: httpx.Limits = DEFAULT_LIMITS,
        retries: int = 0,
        local_address: str | None = None,
        uds: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> None:
        self._ssl_context = httpx.create_ssl_context(verify=verify, cert=cert, trust_env=trust_env)
        self._max_connections = limits.max_connections
        self._max_idle = limits.max_keepalive_connections
        self._keepalive_expiry = limits.keepalive_expiry
        self._retries = retries
        self._local_address = local_address
        self._uds = uds
        self._socket_options = list(socket_options) if socket_options is not None else None
        # Idle connections per origin, oldest on the left, each with the time it went idle.
        self._idle: dict[_Origin, deque[tuple[httpcore.AsyncHTTPConnection, float]]] = {}
        self._idle_count = 0
        self._in_use: set[httpcore.AsyncHTTPConnection] = set()
        self._slots_taken = 0  # requests holding a connection slot (<= max_connections)
        self._waiters: deque[_Waiter] = deque()
        self._closed = False
        self._network = WatchedBackend()

    @property
    def max_connections(self) -> int | None:
        """Connections open at most, in use plus idle (None: no limit)."""
        return self._max_connections

    # -- the request path ------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the transport is closed")
        assert isinstance(request.stream, httpx.AsyncByteStream)
        url = request.url
        sent = ClosingBody(request.stream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=sent,
            extensions=request.extensions,
        )
        key: _Origin = (url.raw_scheme, url.raw_host, url.port)
        await self._take_slot(request.extensions.get("timeout", {}).get("pool"))
        try:
            connection = await self._checkout(key, core_request.url.origin)
        except BaseException:
            self._release_slot()
            raise
        try:
            response = await connection.handle_async_request(core_request)
        except BaseException as exc:
            await self._checkin(key, connection)
            error = httpx_error(exc)
            if error is None:
                raise
            raise error from exc
        finally:
            with anyio.CancelScope(shield=True):
                await sent.aclose()
        assert isinstance(response.stream, AsyncIterable)

        async def check_in() -> None:
            await self._checkin(key, connection)

        body = PooledBody(response.stream, check_in)
        if _answered_before_asked(response):
            await self._close(connection)
            await body.aclose()
            raise httpx.RemoteProtocolError(
                "the server's answer was buffered before the request was written: stray "
                "bytes after an earlier answer on this connection"
            )
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=body,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close every connection, idle or in use; the transport cannot be used again."""
        self._closed = True
        connections = [c for idle in self._idle.values() for c, _ in idle]
        connections.extend(self._in_use)
        self._idle.clear()
        self._idle_count = 0
        self._in_use.clear()
        for connection in connections:
            await self._close(connection)

    # -- connection slots ------------------------------------------------------------------

    async def _take_slot(self, pool_timeout: float | None) -> None:
        """Wait (FIFO, up to `pool_timeout`) until fewer than max_connections are in use."""
        if self._max_connections is None or (
            self._slots_taken < self._max_connections and not self._waiters
        ):
            self._slots_taken += 1
            return
        waiter = _Waiter()
        self._waiters.append(waiter)
        try:
            with anyio.fail_after(pool_timeout):
                await waiter.event.wait()
        except BaseException as exc:
            if waiter.granted:  # handed a slot just as we gave up: pass it on
                self._release_slot()
            else:
                self._waiters.remove(waiter)
            if isinstance(exc, TimeoutError):
                raise httpx.PoolTimeout("no connection available within the pool timeout") from None
            raise

    def _release_slot(self) -> None:
        if self._waiters:  # hand the slot straight to the longest waiter
            waiter = self._waiters.popleft()
            waiter.granted = True
            waiter.event.set()
        else:
            self._slots_taken -= 1

    # -- connections -----------------------------------------------------------------------

    async def _checkout(
        self, key: _Origin, origin: httpcore.Origin
    ) -> httpcore.AsyncHTTPConnection:
        """The most recently used live idle connection to `origin`, else a new one."""
        idle = self._idle.get(key)
        while idle:
            connection, _ = idle.pop()
            self._idle_count -= 1
            if connection.is_idle() and not connection.has_expired():
                self._in_use.add(connection)
                return connection
            await self._close(connection)  # expired, or closed by the server
        if (
            self._max_connections is not None
            and self._idle_count
            and self._idle_count + len(self._in_use) >= self._max_connections
        ):
            await self._close_oldest_idle()  # idle connections to other origins make room
        connection = httpcore.AsyncHTTPConnection(
            origin=origin,
            ssl_context=self._ssl_context,
            keepalive_expiry=self._keepalive_expiry,
            http1=True,
            http2=False,
            retries=self._retries,
            local_address=self._local_address,
            uds=self._uds,
            socket_options=self._socket_options,
            network_backend=self._network,
        )
        self._in_use.add(connection)
        return connection

    async def _checkin(self, key: _Origin, connection: httpcore.AsyncHTTPConnection) -> None:
        """Take back a connection whose response is closed; free its slot."""
        self._in_use.discard(connection)
        try:
            keep = (
                not self._closed
                and connection.is_idle()
                and not connection.is_closed()  # a failed connect counts as idle and closed
                and (self._max_idle is None or self._idle_count < self._max_idle)
            )
            if not keep:
                await self._close(connection)
            else:
                now = time.monotonic()
                idle = self._idle.get(key)
                if idle is None:
                    idle = self._idle[key] = deque()
                idle.append((connection, now))
                self._idle_count += 1
                expiry = self._keepalive_expiry
                if expiry is not None and now - idle[0][1] > expiry:
                    await self._close_expired(idle, now - expiry)
        finally:
            self._release_slot()

    async def _close_expired(
        self, idle: deque[tuple[httpcore.AsyncHTTPConnection, float]], idle_since: float
    ) -> None:
        while idle and idle[0][1] < idle_since:
            connection, _ = idle.popleft()
            self._idle_count -= 1
            await self._close(connection)

    async def _close_oldest_idle(self) -> None:
        oldest: deque[tuple[httpcore.AsyncHTTPConnection, float]] | None = None
        for idle in self._idle.values():
            if idle and (oldest is None or idle[0][1] < oldest[0][1]):
                oldest = idle
        if oldest is not None:
            connection, _ = oldest.popleft()
            self._idle_count -= 1
            await self._close(connection)

    @staticmethod
    async def _close(connection: httpcore.AsyncHTTPConnection) -> None:
        with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
            await connection.aclose()  # a close that fails leaves nothing to clean up


def _answered_before_asked(response: httpcore.Response) -> bool:
    """Whether the answer's head was parsed from bytes read before the request went out:
    whatever the server sent after an earlier answer, never the answer to this request
    (taking a stray 429 for a send's answer would make a sent message look unsent)."""
    stream = response.extensions.get("network_stream")
    return isinstance(stream, WatchedStream) and not stream.read_since_write
