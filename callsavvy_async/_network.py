"""The network streams under PoolTransport's httpcore connections.

On the standard asyncio loop a connection reads through an asyncio protocol that keeps
reading, where httpcore's anyio stream registers and unregisters its socket with the
selector and opens a cancel scope for every read and write; that was a fifth of a
request's CPU at 64 requests in flight (``benchmarks/fanout.py``). On trio and other
loops (uvloop), httpcore's own streams.

Either way each stream is corked: writes are held until the next read, so a request's head
and body leave in one send (httpcore writes them apart, and every send is a system call
here and a wake-up of the server).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
from collections.abc import Iterable
from typing import Any, Final, TypeAlias, cast

import anyio
import httpcore

__all__ = ["CorkedBackend"]

SocketOption: TypeAlias = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)

_CORK_LIMIT: Final = 1 << 16  # hold no more than this before sending
_READ_LIMIT: Final = 1 << 18  # stop reading the socket while this much waits unread
_HAPPY_EYEBALLS_DELAY: Final = 0.25  # as anyio's connect_tcp


class CorkedBackend(httpcore.AsyncNetworkBackend):
    """Corked streams: our own on the standard asyncio loop, httpcore's on trio and on
    other loops (uvloop's TLS drops data buffered while reading is paused when the server
    closes: MagicStack/uvloop pull request 661)."""

    def _backend(self) -> httpcore.AsyncNetworkBackend:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return _trio_backend()
        return _ASYNCIO if isinstance(loop, asyncio.BaseEventLoop) else _ANYIO

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend().connect_tcp(
            host, port, timeout, local_address=local_address, socket_options=socket_options
        )
        return _CorkedStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend().connect_unix_socket(
            path, timeout, socket_options=socket_options
        )
        return _CorkedStream(stream)

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


class _CorkedStream(httpcore.AsyncNetworkStream):
    """Holds writes until the next read; a write goes at once when `_CORK_LIMIT` bytes are
    held or a read is already waiting (an upgraded connection, read and written at once).

    As httpcore does when writing a body fails, a held write that fails is not raised: the
    read that follows tells what the server answered, or raises why it could not. Closing
    drops what is held: that is a request whose answer nobody will read, and sending it
    then could deliver a message its caller was told had failed."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._held: list[bytes] = []
        self._held_size = 0
        self._write_timeout: float | None = None
        self._reading = 0

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        self._held.append(buffer)
        self._held_size += len(buffer)
        self._write_timeout = timeout
        if self._reading or self._held_size >= _CORK_LIMIT:
            await self._flush()

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._held:
            with contextlib.suppress(httpcore.WriteError):
                await self._flush()
        self._reading += 1
        try:
            return await self._stream.read(max_bytes, timeout)
        finally:
            self._reading -= 1

    async def _flush(self) -> None:
        held = b"".join(self._held)
        self._held.clear()
        self._held_size = 0
        await self._stream.write(held, self._write_timeout)

    async def aclose(self) -> None:
        self._held.clear()
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if self._held:
            await self._flush()
        return _CorkedStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _Protocol(asyncio.Protocol):
    """Buffers what arrives (pausing the socket past `_READ_LIMIT`) for one reader, and
    tells one writer when a full send buffer has drained."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.ended = False  # the server closed its side, or the connection was lost
        self.error: Exception | None = None
        self.transport: asyncio.Transport | None = None
        self._reader: asyncio.Future[None] | None = None
        self._drainer: asyncio.Future[None] | None = None
        self._reading_paused = False
        self._writing_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > _READ_LIMIT and self.transport is not None:
            self.transport.pause_reading()
            self._reading_paused = True
        _wake(self._reader)

    def eof_received(self) -> None:
        self.ended = True
        _wake(self._reader)

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.error = exc
        _wake(self._reader)
        _wake(self._drainer)

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        _wake(self._drainer)

    def take(self, max_bytes: int) -> bytes:
        """Up to `max_bytes` of what has arrived; reading resumes once half has been taken."""
        if len(self.buffer) <= max_bytes:
            data = bytes(self.buffer)
            self.buffer.clear()
        else:
            data = bytes(self.buffer[:max_bytes])
            del self.buffer[:max_bytes]
        if self._reading_paused and len(self.buffer) <= _READ_LIMIT // 2:
            self._reading_paused = False
            if self.transport is not None:
                self.transport.resume_reading()
        return data

    async def readable(self, timeout: float | None) -> None:
        """Wait for data or the end of the connection, up to `timeout` (TimeoutError)."""
        self._reader = asyncio.get_running_loop().create_future()
        try:
            await _wait(self._reader, timeout)
        finally:
            self._reader = None

    @property
    def must_drain(self) -> bool:
        return self._writing_paused and not self.ended

    async def drained(self, timeout: float | None) -> None:
        """Wait until the send buffer has room (or the connection is lost)."""
        self._drainer = asyncio.get_running_loop().create_future()
        try:
            await _wait(self._drainer, timeout)
        finally:
            self._drainer = None


def _reason(error: BaseException | None, default: str = "the connection was lost") -> str:
    if error is None:
        return default
    return str(error) or type(error).__name__


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


async def _wait(waiter: asyncio.Future[None], timeout: float | None) -> None:
    """Await `waiter`, which raises TimeoutError if it is not done within `timeout`: a timer
    on the future costs less than a cancel scope and cannot be confused with a cancel."""
    if timeout is None:
        await waiter
        return
    timer = asyncio.get_running_loop().call_later(timeout, _expire, waiter)
    try:
        await waiter
    finally:
        timer.cancel()


class _AsyncioStream(httpcore.AsyncNetworkStream):
    """An httpcore network stream over an asyncio transport and `_Protocol`."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.buffer and not protocol.ended:
            try:
                await protocol.readable(timeout)
            except TimeoutError:
                raise httpcore.ReadTimeout("no data from the server in time") from None
        if protocol.buffer:
            return protocol.take(max_bytes)
        if protocol.error is not None:
            raise httpcore.ReadError(_reason(protocol.error))
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        protocol = self._protocol
        if protocol.ended or self._transport.is_closing():
            raise httpcore.WriteError(_reason(protocol.error, "the connection is closed"))
        self._transport.write(buffer)
        try:
            if protocol.must_drain:
                await protocol.drained(timeout)
        except TimeoutError:
            raise httpcore.WriteTimeout("the server did not take the request in time") from None
        if protocol.error is not None:
            raise httpcore.WriteError(_reason(protocol.error))

    async def aclose(self) -> None:
        self._transport.abort()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        protocol = self._protocol
        if protocol.buffer or protocol.ended or self._transport.is_closing():
            self._transport.abort()  # bytes before the handshake are no one's answer
            raise httpcore.ConnectError("the server spoke or hung up before the TLS handshake")
        loop = asyncio.get_running_loop()
        try:
            with anyio.fail_after(timeout):
                transport = await loop.start_tls(
                    self._transport, protocol, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError:
            self._transport.abort()
            raise httpcore.ConnectTimeout("the TLS handshake did not finish in time") from None
        except (OSError, ssl.SSLError) as exc:
            self._transport.abort()
            raise httpcore.ConnectError(str(exc)) from exc
        if transport is None:  # the connection was lost during the handshake
            raise httpcore.ConnectError("the connection was closed during the TLS handshake")
        protocol.transport = transport  # pausing must go through TLS, which pauses the socket
        return _AsyncioStream(transport, protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return bool(self._protocol.buffer) or self._protocol.ended
        name = _EXTRA.get(info)
        return None if name is None else self._transport.get_extra_info(name)


_EXTRA: Final = {
    "ssl_object": "ssl_object",
    "client_addr": "sockname",
    "server_addr": "peername",
    "socket": "socket",
}


class _AsyncioBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local_addr = None if local_address is None else (local_address, 0)
        connecting = loop.create_connection(
            _Protocol, host, port, local_addr=local_addr, happy_eyeballs_delay=_HAPPY_EYEBALLS_DELAY
        )
        connected = await _connect(connecting, timeout)
        return _stream(connected, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        connected = await _connect(loop.create_unix_connection(_Protocol, path), timeout)
        return _stream(connected, socket_options)

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


_ASYNCIO: Final = _AsyncioBackend()
_ANYIO: Final = httpcore.AnyIOBackend()


@functools.cache
def _trio_backend() -> httpcore.AsyncNetworkBackend:
    return httpcore.TrioBackend()  # made on first use: it needs trio installed


_Connected: TypeAlias = tuple[asyncio.Transport, _Protocol]


async def _connect(connecting: Any, timeout: float | None) -> _Connected:
    """Await an asyncio connect as httpcore expects: ConnectTimeout or ConnectError."""
    try:
        with anyio.fail_after(timeout):
            transport, protocol = await connecting
    except TimeoutError:
        raise httpcore.ConnectTimeout("could not connect in time") from None
    except OSError as exc:
        raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
    return transport, protocol


def _stream(connected: _Connected, socket_options: Iterable[SocketOption] | None) -> _AsyncioStream:
    transport, protocol = connected
    sock = transport.get_extra_info("socket")
    try:
        for option in socket_options or ():
            sock.setsockopt(*option)
    except OSError as exc:
        transport.abort()
        raise httpcore.ConnectError(str(exc)) from exc
    return _AsyncioStream(transport, protocol)
