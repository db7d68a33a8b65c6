"""What PoolTransport wraps around httpcore: its network streams, so that an answer read
before its request was written is recognised as stale, and its response bodies, so that a
closed body hands its connection back; plus httpcore's errors as httpx's."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, Final, TypeAlias

import anyio
import httpcore
import httpx

__all__ = [
    "ClosingBody",
    "PooledBody",
    "SocketOption",
    "WatchedBackend",
    "WatchedStream",
    "httpx_error",
]

SocketOption: TypeAlias = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)

_EXCEPTIONS: Final[tuple[tuple[type[Exception], type[httpx.TransportError]], ...]] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)
"""httpcore's exceptions and the httpx ones they become, most specific first."""


def httpx_error(exc: BaseException) -> httpx.TransportError | None:
    """The httpx exception for an httpcore one, None for anything else."""
    for core_type, httpx_type in _EXCEPTIONS:
        if isinstance(exc, core_type):
            return httpx_type(str(exc))
    return None


class WatchedStream(httpcore.AsyncNetworkStream):
    """httpcore's network stream, noting whether anything was read since the last write.

    An answer parsed with no read after its request was written was already buffered: it
    is what the server sent after an earlier answer, not the answer to this request.
    """

    __slots__ = ("_stream", "read_since_write")

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self.read_since_write = True

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        data = await self._stream.read(max_bytes, timeout)
        self.read_since_write = True
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        self.read_since_write = False
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> httpcore.AsyncNetworkStream:
        return WatchedStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class WatchedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio network backend (asyncio and trio), handing out WatchedStreams."""

    def __init__(self) -> None:
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_tcp(host, port, timeout, local_address=local_address)
        await _apply(stream, socket_options)
        return WatchedStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_unix_socket(path, timeout)
        await _apply(stream, socket_options)
        return WatchedStream(stream)

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


async def _apply(
    stream: httpcore.AsyncNetworkStream, options: Iterable[SocketOption] | None
) -> None:
    """Set socket options on a new connection; one the system refuses closes it (httpcore's
    backend would leave the socket open) and is a ConnectError."""
    if not options:
        return
    sock = stream.get_extra_info("socket")
    try:
        for option in options:
            sock.setsockopt(*option)
    except OSError as exc:
        await stream.aclose()
        raise httpcore.ConnectError(f"socket option refused: {exc}") from exc


class PooledBody(httpx.AsyncByteStream):
    """A response body that runs `on_close` (handing its connection back) once closed."""

    __slots__ = ("_closed", "_on_close", "_stream")

    def __init__(self, stream: AsyncIterable[bytes], on_close: Callable[[], Awaitable[None]]):
        self._stream = stream
        self._on_close = on_close
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._stream:
                yield part
        except Exception as exc:
            error = httpx_error(exc)
            if error is None:
                raise
            raise error from exc

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self._stream, "aclose", None)
            if close is not None:
                with anyio.CancelScope(shield=True):
                    await close()
        except Exception as exc:
            error = httpx_error(exc)
            if error is None:
                raise
            raise error from exc
        finally:
            await self._on_close()


class ClosingBody(httpx.AsyncByteStream):
    """A request body whose iteration can be ended from outside: httpcore and httpx's ASGI
    transport stop reading a body early (a failed write, an app that refuses the body)
    without closing its iterator, which leaves an unfinished async generator to the
    garbage collector. The transport calls `aclose` once the request is over."""

    __slots__ = ("_chunks", "_stream")

    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream
        self._chunks: AsyncIterator[bytes] | None = None

    def __aiter__(self) -> AsyncIterator[bytes]:
        self._chunks = aiter(self._stream)
        return self._chunks

    async def aclose(self) -> None:
        close = getattr(self._chunks, "aclose", None)
        self._chunks = None
        if close is not None:
            await close()
