"""PoolTransport's connections on httpcore's network backend (asyncio, uvloop and trio):
large bodies, TLS, Unix sockets, socket options, and every kind of failure as the right
httpx error, against in-process loopback servers."""

from __future__ import annotations

import gc
import socket
import ssl
import struct
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import anyio
import anyio.abc
import anyio.streams.tls
import anyio.to_thread
import httpx
import pytest
import trustme

from callsavvy_async._transport import PoolTransport

pytestmark = pytest.mark.anyio

Handler = Callable[[anyio.abc.ByteStream], Awaitable[None]]
Listener = anyio.abc.Listener[anyio.abc.ByteStream]


UVLOOP = [] if sys.platform == "win32" else [("asyncio", {"use_uvloop": True})]


@pytest.fixture(
    params=["asyncio", *UVLOOP, "trio"], ids=["asyncio", *["uvloop"] * len(UVLOOP), "trio"]
)
def anyio_backend(request: pytest.FixtureRequest) -> object:
    return request.param


def answer(body: bytes = b"{}") -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)


async def read_request(stream: anyio.abc.ByteStream) -> tuple[bytes, bytes]:
    """The first chunk received, and the whole request (head and content-length body)."""
    first = await stream.receive()
    data = first
    while b"\r\n\r\n" not in data:
        data += await stream.receive()
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += await stream.receive()
    return first, head + b"\r\n\r\n" + body


@asynccontextmanager
async def serving(
    handler: Handler, wrap: Callable[[Listener], Listener] = lambda listener: listener
) -> AsyncIterator[str]:
    """Serve `handler` on each connection to a loopback port; yield "127.0.0.1:port"."""
    tcp = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = tcp.extra(anyio.abc.SocketAttribute.local_port)
    listener = wrap(tcp)  # type: ignore[arg-type]

    async def handle(stream: anyio.abc.ByteStream) -> None:
        async with stream:
            with suppress(anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream):
                await handler(stream)

    async with listener, anyio.create_task_group() as tasks:
        tasks.start_soon(listener.serve, handle)
        try:
            yield f"127.0.0.1:{port}"
        finally:
            tasks.cancel_scope.cancel()


@asynccontextmanager
async def thread_server(serve_one: Callable[[socket.socket], None]) -> AsyncIterator[str]:
    """Run the blocking `serve_one(server)` in a worker thread; yield "127.0.0.1:port"."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(anyio.to_thread.run_sync, serve_one, server)
            yield f"127.0.0.1:{server.getsockname()[1]}"


async def read_slowly(response: httpx.Response) -> bytes:
    """The raw body, pausing after the first part so that the rest piles up unread."""
    parts = []
    async for part in response.aiter_raw():
        if not parts:
            await anyio.sleep(0.3)
        parts.append(part)
    return b"".join(parts)


def late_reader(server: socket.socket, received: list[bytes], download: bytes) -> None:
    """A blocking server (run in a thread) that lets the client's upload fill the socket
    buffers before it reads it, then answers with `download` all at once."""
    connection, _ = server.accept()
    with connection:
        time.sleep(0.3)
        data = b""
        while b"\r\n\r\n" not in data:
            data += connection.recv(1 << 16)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(body) < length:
            body += connection.recv(1 << 16)
        received.append(body)
        connection.sendall(answer(download))


async def test_large_bodies_both_ways_arrive_whole_when_the_other_side_is_slow() -> None:
    upload = bytes(range(256)) * 32768  # 8 MiB: past the cork limit and the send buffers
    download = bytes(range(256)) * 16384  # 4 MiB: read slowly, so reading pauses
    received: list[bytes] = []

    def serve_one(server: socket.socket) -> None:
        late_reader(server, received, download)

    client = httpx.AsyncClient(transport=PoolTransport())
    async with thread_server(serve_one) as host, client:
        url = f"http://{host}/upload"
        async with client.stream("POST", url, content=upload) as response:
            downloaded = await read_slowly(response)
    assert received == [upload]
    assert downloaded == download


def resetter(server: socket.socket) -> None:
    """A blocking server that reads a request and resets the connection."""
    connection, _ = server.accept()
    connection.recv(1 << 16)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


async def test_a_reset_connection_is_a_read_error() -> None:
    client = httpx.AsyncClient(transport=PoolTransport())
    async with thread_server(resetter) as host, client:
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            await client.post(f"http://{host}/", content=b"{}")


async def test_a_server_that_does_not_answer_times_out_and_frees_the_slot() -> None:
    async def handler(stream: anyio.abc.ByteStream) -> None:
        await read_request(stream)
        await anyio.sleep(10)

    transport = PoolTransport(limits=httpx.Limits(max_connections=1))
    async with serving(handler) as host, httpx.AsyncClient(transport=transport) as client:
        for _ in range(2):  # the first one's slot is free again
            with anyio.fail_after(5), pytest.raises(httpx.ReadTimeout):
                await client.get(f"http://{host}/", timeout=httpx.Timeout(5, read=0.2, pool=0.1))


async def test_a_server_that_never_reads_times_the_write_out() -> None:
    """The body's iterator, which httpcore leaves unfinished when a write fails, is closed
    with the request: no ResourceWarning when it is collected (trio warns)."""
    with socket.create_server(("127.0.0.1", 0)) as never_accepted:
        port = never_accepted.getsockname()[1]
        async with httpx.AsyncClient(transport=PoolTransport()) as client:
            with anyio.fail_after(5), pytest.raises(httpx.WriteTimeout):
                await client.post(
                    f"http://127.0.0.1:{port}/",
                    content=b"x" * (64 << 20),
                    timeout=httpx.Timeout(5, write=0.2),
                )
    gc.collect()


async def test_a_server_that_hangs_up_is_a_protocol_error() -> None:
    async def handler(stream: anyio.abc.ByteStream) -> None:
        await read_request(stream)

    async with serving(handler) as host, httpx.AsyncClient(transport=PoolTransport()) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"http://{host}/")


async def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with httpx.AsyncClient(transport=PoolTransport()) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")


async def test_socket_options_are_applied() -> None:
    async def handler(stream: anyio.abc.ByteStream) -> None:
        await read_request(stream)
        await stream.send(answer())

    keepalive = (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    transport = PoolTransport(socket_options=[keepalive])
    async with serving(handler) as host, httpx.AsyncClient(transport=transport) as client:
        response = await client.get(f"http://{host}/")
        sock = response.extensions["network_stream"].get_extra_info("socket")
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert response.extensions["network_stream"].get_extra_info("server_addr")[0] == (
            "127.0.0.1"
        )


async def test_unix_socket(tmp_path: Path) -> None:
    async def handler(stream: anyio.abc.ByteStream) -> None:
        async with stream:
            await read_request(stream)
            await stream.send(answer(b'{"via":"uds"}'))

    path = tmp_path / "api.sock"
    listener = await anyio.create_unix_listener(path)
    async with listener, anyio.create_task_group() as tasks:
        tasks.start_soon(listener.serve, handler)
        transport = PoolTransport(uds=str(path))
        async with httpx.AsyncClient(transport=transport) as client:
            response = await client.get("http://callsavvy.test/")
        tasks.cancel_scope.cancel()
    assert response.json() == {"via": "uds"}


@asynccontextmanager
async def tls_server(ca: trustme.CA, handler: Handler | None = None) -> AsyncIterator[str]:
    """Serve `handler` (by default: answer {"tls": true} to every request) over TLS with a
    certificate for 127.0.0.1 issued by `ca`."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)

    async def answer_each(stream: anyio.abc.ByteStream) -> None:
        while True:
            await read_request(stream)
            await stream.send(answer(b'{"tls":true}'))

    def tls(tcp: Listener) -> Listener:
        return anyio.streams.tls.TLSListener(tcp, server_context, standard_compatible=False)

    async with serving(handler or answer_each, tls) as host:
        yield host


def trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


async def test_tls_connections_verify_and_are_reused() -> None:
    ca = trustme.CA()
    transport = PoolTransport(verify=trusting(ca))
    connections: list[anyio.abc.ByteStream] = []

    async def answer_each(stream: anyio.abc.ByteStream) -> None:
        connections.append(stream)
        while True:
            await read_request(stream)
            await stream.send(answer(b'{"tls":true}'))

    server = tls_server(ca, answer_each)
    async with server as host, httpx.AsyncClient(transport=transport) as client:
        for _ in range(2):
            response = await client.get(f"https://{host}/")
            assert response.json() == {"tls": True}
            ssl_object = response.extensions["network_stream"].get_extra_info("ssl_object")
            assert ssl_object is not None
        assert len(connections) == 1


async def test_an_untrusted_certificate_is_a_connect_error() -> None:
    transport = PoolTransport()
    async with tls_server(trustme.CA()) as host, httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"https://{host}/")


async def test_a_server_that_never_finishes_the_handshake_times_out() -> None:
    async def handler(stream: anyio.abc.ByteStream) -> None:
        await stream.receive()
        await anyio.sleep(10)

    async with serving(handler) as host, httpx.AsyncClient(transport=PoolTransport()) as client:
        with anyio.fail_after(5), pytest.raises(httpx.ConnectTimeout):
            await client.get(f"https://{host}/", timeout=httpx.Timeout(5, connect=0.2))


async def test_a_socket_option_the_system_refuses_is_a_connect_error() -> None:
    async def handler(stream: anyio.abc.ByteStream) -> None:
        await anyio.sleep(1)

    transport = PoolTransport(socket_options=[(socket.SOL_SOCKET, 0x7FFF, 1)])
    async with serving(handler) as host, httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://{host}/")


async def test_a_large_tls_answer_read_slowly_arrives_whole() -> None:
    ca = trustme.CA()
    download = bytes(range(256)) * 16384  # 4 MiB: reading pauses, through TLS

    async def handler(stream: anyio.abc.ByteStream) -> None:
        await read_request(stream)
        await stream.send(answer(download))

    transport = PoolTransport(verify=trusting(ca))
    async with tls_server(ca, handler) as host, httpx.AsyncClient(transport=transport) as client:
        timeout = httpx.Timeout(5, read=2)
        async with client.stream("GET", f"https://{host}/", timeout=timeout) as response:
            assert await read_slowly(response) == download
