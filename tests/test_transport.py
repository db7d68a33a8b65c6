"""PoolTransport on asyncio and trio, against in-process loopback servers (anyio
listeners), so they need no subprocess."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
import httpx
import pytest

from callsavvy_async._transport import PoolTransport

pytestmark = pytest.mark.anyio

ANSWER = b'{"resource":"x","status":"success","data":{"status":"sent"}}'


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Server:
    def __init__(self) -> None:
        self.connections = 0
        self.open = 0
        self.max_open = 0
        self.requests = 0
        self.url = ""


async def _read_request(stream: anyio.abc.ByteStream, buffer: bytearray) -> bool:
    while b"\r\n\r\n" not in buffer:
        try:
            chunk = await stream.receive()
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
            return False
        buffer += chunk
    end = buffer.index(b"\r\n\r\n")
    length = 0
    for line in bytes(buffer[:end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(buffer) < end + 4 + length:
        try:
            buffer += await stream.receive()
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
            return False
    del buffer[: end + 4 + length]
    return True


@asynccontextmanager
async def server(
    delay: float = 0.0,
    *,
    close_after: int | None = None,
    close_delay: float = 0.0,
    stray: bytes = b"",
) -> AsyncIterator[Server]:
    """Answer every request after `delay`; close each connection after `close_after`
    answers (`close_delay` later, without telling the client); send `stray` bytes right
    after each connection's first answer, as a broken server or proxy might."""
    state = Server()

    async def handle(stream: anyio.abc.SocketStream) -> None:
        state.connections += 1
        state.open += 1
        state.max_open = max(state.max_open, state.open)
        buffer = bytearray()
        answered = 0
        try:
            async with stream:
                while await _read_request(stream, buffer):
                    state.requests += 1
                    await anyio.sleep(delay)
                    await stream.send(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                        b"content-length: %d\r\n\r\n%s"
                        % (len(ANSWER), ANSWER)
                        + (stray if not answered else b"")
                    )
                    answered += 1
                    if close_after is not None and answered >= close_after:
                        await anyio.sleep(close_delay)
                        return
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass
        finally:
            state.open -= 1

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    state.url = f"http://127.0.0.1:{port}/v1/x"
    async with anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, handle)
        try:
            yield state
        finally:
            tg.cancel_scope.cancel()


def _pool(transport: PoolTransport) -> tuple[int, int, int]:
    """(slots taken, connections in use, idle connections)."""
    return transport._slots_taken, len(transport._in_use), transport._idle_count


async def _post(client: httpx.AsyncClient, url: str) -> None:
    response = await client.post(url, content=b'{"a":1}')
    assert response.json()["status"] == "success"


async def test_reuses_connections() -> None:
    async with server() as srv:
        transport = PoolTransport()
        async with httpx.AsyncClient(transport=transport) as client:
            for _ in range(20):
                await _post(client, srv.url)
            assert srv.connections == 1
            assert _pool(transport) == (0, 0, 1)


async def test_max_connections_bounds_open_connections() -> None:
    async with server(delay=0.05) as srv:
        transport = PoolTransport(limits=httpx.Limits(max_connections=3))
        async with httpx.AsyncClient(transport=transport) as client:
            started = anyio.current_time()
            async with anyio.create_task_group() as tg:
                for _ in range(12):
                    tg.start_soon(_post, client, srv.url)
            elapsed = anyio.current_time() - started
            assert srv.max_open == 3
            assert srv.connections == 3
            assert elapsed >= 4 * 0.05
            assert _pool(transport) == (0, 0, 3)


async def test_pool_timeout() -> None:
    async with server(delay=0.3) as srv:
        transport = PoolTransport(limits=httpx.Limits(max_connections=1))
        async with httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(5, pool=0.05)) as c:
            async with anyio.create_task_group() as tg:
                tg.start_soon(_post, c, srv.url)
                await anyio.sleep(0.02)
                with pytest.raises(httpx.PoolTimeout):
                    await _post(c, srv.url)
            assert _pool(transport) == (0, 0, 1)


async def test_cancellation_while_waiting_and_in_flight_frees_slots() -> None:
    async with server(delay=0.2) as srv:
        transport = PoolTransport(limits=httpx.Limits(max_connections=2))
        async with httpx.AsyncClient(transport=transport) as client:
            with anyio.move_on_after(0.05):
                async with anyio.create_task_group() as tg:
                    for _ in range(6):  # 2 in flight, 4 waiting for a slot
                        tg.start_soon(_post, client, srv.url)
            assert _pool(transport) == (0, 0, 0)  # cancelled mid-response: closed
            assert not transport._waiters
            await _post(client, srv.url)
            assert _pool(transport) == (0, 0, 1)


async def test_server_closing_idle_connections_is_detected() -> None:
    async with server(close_after=1) as srv:
        transport = PoolTransport()
        async with httpx.AsyncClient(transport=transport) as client:
            for _ in range(5):
                await _post(client, srv.url)
                await anyio.sleep(0.02)  # let the server's close reach us
            assert srv.connections == 5


async def test_keepalive_expiry() -> None:
    async with server() as srv:
        transport = PoolTransport(limits=httpx.Limits(max_connections=5, keepalive_expiry=0.05))
        async with httpx.AsyncClient(transport=transport) as client:
            await _post(client, srv.url)
            await anyio.sleep(0.1)
            await _post(client, srv.url)
            assert srv.connections == 2


async def test_max_keepalive_connections() -> None:
    async with server(delay=0.02) as srv:
        limits = httpx.Limits(max_connections=8, max_keepalive_connections=2)
        transport = PoolTransport(limits=limits)
        async with httpx.AsyncClient(transport=transport) as client:
            async with anyio.create_task_group() as tg:
                for _ in range(8):
                    tg.start_soon(_post, client, srv.url)
            assert _pool(transport) == (0, 0, 2)


async def test_errors_are_httpx_errors_and_free_the_slot() -> None:
    async with server(delay=0.5) as srv:
        transport = PoolTransport(limits=httpx.Limits(max_connections=1))
        async with httpx.AsyncClient(transport=transport, timeout=0.05) as client:
            with pytest.raises(httpx.ReadTimeout):
                await _post(client, srv.url)
            assert _pool(transport) == (0, 0, 0)
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()
    transport = PoolTransport()
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ConnectError):
            await client.post(f"http://127.0.0.1:{port}/")
        assert _pool(transport) == (0, 0, 0)


async def test_streamed_response_not_read_closes_connection() -> None:
    async with server() as srv:
        transport = PoolTransport()
        async with httpx.AsyncClient(transport=transport) as client:
            async with client.stream("POST", srv.url, content=b"{}") as response:
                assert response.status_code == 200
            assert _pool(transport)[:2] == (0, 0)
            await _post(client, srv.url)


async def test_aclose_closes_everything() -> None:
    async with server() as srv:
        transport = PoolTransport()
        client = httpx.AsyncClient(transport=transport)
        await _post(client, srv.url)
        await client.aclose()
        assert _pool(transport) == (0, 0, 0)
        with pytest.raises(RuntimeError):
            await transport.handle_async_request(httpx.Request("POST", srv.url))


async def test_other_origin_idle_connection_makes_room() -> None:
    async with server() as one, server() as two:
        transport = PoolTransport(limits=httpx.Limits(max_connections=1))
        async with httpx.AsyncClient(transport=transport) as client:
            await _post(client, one.url)
            await _post(client, two.url)
            await _post(client, one.url)
            assert (one.connections, two.connections) == (2, 1)
            assert _pool(transport) == (0, 0, 1)


@pytest.mark.parametrize("make", [lambda: PoolTransport()])
async def test_many_concurrent(make: Callable[[], PoolTransport]) -> None:
    async with server(delay=0.01) as srv:
        transport = make()
        limiter = anyio.CapacityLimiter(64)

        async def one() -> None:
            async with limiter:
                await _post(client, srv.url)

        async with (
            httpx.AsyncClient(
                transport=transport, limits=httpx.Limits(max_connections=32)
            ) as client,
            anyio.create_task_group() as tg,
        ):
            for _ in range(500):
                tg.start_soon(one)
        assert srv.requests == 500
        assert srv.max_open <= 100


async def test_random_cancellations_never_leak_slots() -> None:
    import random

    rng = random.Random(7)
    async with server(delay=0.005) as srv:
        transport = PoolTransport(limits=httpx.Limits(max_connections=8))
        checkout = transport._checkout
        most = 0

        async def counted_checkout(*args: Any) -> Any:
            nonlocal most
            connection = await checkout(*args)
            most = max(most, len(transport._in_use) + transport._idle_count)
            return connection

        transport._checkout = counted_checkout  # type: ignore[method-assign,assignment]
        async with httpx.AsyncClient(
            transport=transport, timeout=httpx.Timeout(5, pool=0.02)
        ) as client:

            async def one() -> None:
                with anyio.move_on_after(rng.uniform(0, 0.03)):
                    with suppress(httpx.PoolTimeout):
                        await _post(client, srv.url)

            async with anyio.create_task_group() as tg:
                for _ in range(400):
                    tg.start_soon(one)
                    if rng.random() < 0.3:
                        await anyio.lowlevel.checkpoint()
            slots, in_use, idle = _pool(transport)
            assert (slots, in_use) == (0, 0)
            assert idle <= 8
            assert not transport._waiters
            assert 0 < most <= 8  # open connections, as the client counts them
            await _post(client, srv.url)


async def test_a_connection_with_bytes_after_its_answer_is_not_reused_for_a_send() -> None:
    from callsavvy_async import AsyncCallsavvy

    stray_429 = b"HTTP/1.1 429 Too Many Requests\r\ncontent-length: 0\r\n\r\n"
    async with server(stray=stray_429) as state:
        base_url = state.url.rsplit("/", 1)[0]
        async with AsyncCallsavvy(public_key="pk", private_key="sk", base_url=base_url) as cs:
            await cs.sms.send("+447989987123", "first")
            await anyio.sleep(0.2)
            await cs.sms.send("+447989987123", "second")
    assert (state.requests, state.connections) == (2, 2)
