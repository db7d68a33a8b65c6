"""PoolTransport on asyncio and trio, against in-process loopback servers (anyio
listeners) that count what reaches them: connections opened, open now, most open at once."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from contextlib import suppress

import anyio
import anyio.abc
import anyio.lowlevel
import httpx
import pytest

from callsavvy_async import AsyncCallsavvy, OutcomeUnknownError
from callsavvy_async._transport import PoolTransport
from tests._loopback import Server, server

pytestmark = pytest.mark.anyio


async def _post(client: httpx.AsyncClient, url: str) -> None:
    response = await client.post(url, content=b'{"a":1}')
    assert response.json()["status"] == "success"


async def _eventually(check: Callable[[], bool], tries: int = 400) -> None:
    """Wait, polling at most `tries` times 5 ms apart, until `check()` holds (the server
    sees a close a moment after it happens)."""
    for _ in range(tries):
        if check():
            return
        await anyio.sleep(0.005)
    raise AssertionError("the server never saw the expected state")


async def _all_at_once(count: int, call: Callable[[], Awaitable[None]]) -> None:
    async with anyio.create_task_group() as tg:
        for _ in range(count):
            tg.start_soon(call)


async def test_reuses_connections() -> None:
    async with server() as srv, httpx.AsyncClient(transport=PoolTransport()) as client:
        for _ in range(20):
            await _post(client, srv.url)
        assert (srv.connections, srv.open) == (1, 1)


async def test_max_connections_bounds_open_connections() -> None:
    async with server(delay=0.05) as srv:
        transport = PoolTransport(limits=httpx.Limits(max_connections=3))
        async with httpx.AsyncClient(transport=transport) as client:
            await _all_at_once(12, lambda: _post(client, srv.url))
            assert (srv.requests, srv.max_open, srv.connections) == (12, 3, 3)


async def test_pool_timeout_when_every_connection_is_busy() -> None:
    async with server(delay=5) as srv:
        transport = PoolTransport(limits=httpx.Limits(max_connections=1))
        timeout = httpx.Timeout(10, pool=0.05)
        async with (
            httpx.AsyncClient(transport=transport, timeout=timeout) as client,
            anyio.create_task_group() as tg,
        ):
            tg.start_soon(_post, client, srv.url)
            await _eventually(lambda: srv.requests == 1)
            with pytest.raises(httpx.PoolTimeout):
                await _post(client, srv.url)
            tg.cancel_scope.cancel()


async def test_cancelled_requests_give_their_slots_back() -> None:
    async with server(delay=5) as srv:
        transport = PoolTransport(limits=httpx.Limits(max_connections=2))
        timeout = httpx.Timeout(10, pool=0.5)
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
            async with anyio.create_task_group() as tg:
                for _ in range(6):  # 2 in flight, 4 waiting for a slot
                    tg.start_soon(_post, client, srv.url)
                await _eventually(lambda: srv.requests == 2)
                tg.cancel_scope.cancel()
            srv.delay = 0
            await _all_at_once(2, lambda: _post(client, srv.url))  # both slots are free
            assert srv.connections == 4  # the two cancelled mid-answer were closed


async def test_server_closing_idle_connections_is_detected() -> None:
    async with server(close_after=1) as srv, httpx.AsyncClient(transport=PoolTransport()) as c:
        for count in range(1, 6):
            await _post(c, srv.url)
            await _eventually(lambda: srv.open == 0)
            assert srv.connections == count


async def test_keepalive_expiry() -> None:
    async with server() as srv:
        transport = PoolTransport(limits=httpx.Limits(max_connections=5, keepalive_expiry=0.05))
        async with httpx.AsyncClient(transport=transport) as client:
            await _post(client, srv.url)
            await anyio.sleep(0.1)  # longer than the expiry: the time is what is tested
            await _post(client, srv.url)
            assert srv.connections == 2


async def test_max_keepalive_connections() -> None:
    async with server(delay=0.02) as srv:
        limits = httpx.Limits(max_connections=8, max_keepalive_connections=2)
        async with httpx.AsyncClient(transport=PoolTransport(limits=limits)) as client:
            await _all_at_once(8, lambda: _post(client, srv.url))
            assert srv.max_open == 8
            await _eventually(lambda: srv.open == 2)


async def test_errors_are_httpx_errors_and_free_the_slot() -> None:
    async with server(delay=5) as srv:
        transport = PoolTransport(limits=httpx.Limits(max_connections=1))
        async with httpx.AsyncClient(transport=transport, timeout=0.05) as client:
            with pytest.raises(httpx.ReadTimeout):
                await _post(client, srv.url)
            srv.delay = 0
            await _post(client, srv.url)  # the slot is free, on a new connection
            assert srv.connections == 2
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()
    async with httpx.AsyncClient(transport=PoolTransport()) as client:
        with pytest.raises(httpx.ConnectError):
            await client.post(f"http://127.0.0.1:{port}/")


async def test_a_streamed_response_closed_unread_closes_its_connection() -> None:
    async with server() as srv, httpx.AsyncClient(transport=PoolTransport()) as client:
        async with client.stream("POST", srv.url, content=b"{}") as response:
            assert response.status_code == 200
        await _eventually(lambda: srv.open == 0)
        await _post(client, srv.url)
        assert srv.connections == 2


async def test_aclose_closes_everything() -> None:
    async with server() as srv:
        transport = PoolTransport()
        client = httpx.AsyncClient(transport=transport)
        await _all_at_once(3, lambda: _post(client, srv.url))
        await client.aclose()
        await _eventually(lambda: srv.open == 0)
        with pytest.raises(RuntimeError):
            await transport.handle_async_request(httpx.Request("POST", srv.url))


async def test_an_idle_connection_to_another_origin_makes_room() -> None:
    async with server() as one, server() as two:
        transport = PoolTransport(limits=httpx.Limits(max_connections=1))
        async with httpx.AsyncClient(transport=transport) as client:
            await _post(client, one.url)
            await _post(client, two.url)
            await _post(client, one.url)
            assert (one.connections, two.connections) == (2, 1)
            await _eventually(lambda: one.open + two.open == 1)


async def test_many_concurrent_requests_share_the_pool() -> None:
    async with server(delay=0.01) as srv:
        limiter = anyio.CapacityLimiter(64)
        transport = PoolTransport(limits=httpx.Limits(max_connections=32))

        async def one() -> None:
            async with limiter:
                await _post(client, srv.url)

        async with httpx.AsyncClient(transport=transport) as client:
            await _all_at_once(500, one)
        assert srv.requests == 500
        assert srv.max_open <= 32


async def test_random_cancellations_never_leak_slots() -> None:
    rng = random.Random(7)
    async with server(delay=0.005) as srv:
        transport = PoolTransport(limits=httpx.Limits(max_connections=8))
        timeout = httpx.Timeout(5, pool=0.02)
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:

            async def one() -> None:
                with anyio.move_on_after(rng.uniform(0, 0.03)), suppress(httpx.PoolTimeout):
                    await _post(client, srv.url)

            async with anyio.create_task_group() as tg:
                for _ in range(400):
                    tg.start_soon(one)
                    if rng.random() < 0.3:
                        await anyio.lowlevel.checkpoint()
            srv.delay = 0.2
            with anyio.fail_after(1):  # all 8 slots are free again: no PoolTimeout
                await _all_at_once(8, lambda: _post(client, srv.url))


async def _sdk(srv: Server) -> AsyncCallsavvy:
    return AsyncCallsavvy(
        public_key="pk", private_key="sk-secret", base_url=srv.url.rsplit("/", 1)[0]
    )


STRAY_429 = b"HTTP/1.1 429 Too Many Requests\r\ncontent-length: 0\r\n\r\n"


async def test_stray_bytes_after_an_answer_are_never_read_as_the_next_answer() -> None:
    """A broken server or proxy sends a 429 right behind a send's answer, in the same
    packet. Taken for the next send's answer, it would make a sent message look unsent,
    and the retry would send it twice: the next send is reported as unknown instead."""
    async with server(stray=STRAY_429) as srv, await _sdk(srv) as cs:
        await cs.sms.send("+447989987123", "first")
        with pytest.raises(OutcomeUnknownError):
            await cs.sms.send("+447989987123", "second")
        await cs.sms.send("+447989987123", "third")
    assert srv.requests == 3  # "second" was not sent again
    assert srv.connections == 2


async def test_stray_bytes_before_a_read_retry_it_on_a_fresh_connection() -> None:
    async with server(stray=STRAY_429) as srv, await _sdk(srv) as cs:
        await cs.sms.send("+447989987123", "first")
        summary = await cs.account.summary()
    assert summary.extra == {"status": "sent"}
    assert (srv.requests, srv.connections) == (3, 2)
