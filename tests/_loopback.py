"""A loopback HTTP/1.1 server on an anyio listener that counts connections and requests,
for tests of the transport and the client's pool."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.abc

ANSWER = b'{"resource":"x","status":"success","data":{"status":"sent"}}'


class Server:
    def __init__(self, delay: float) -> None:
        self.delay = delay
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
    """Answer every request after `delay` (or `state.delay` when changed); close each
    connection after `close_after` answers (`close_delay` later, without telling the
    client); send `stray` bytes right after each connection's first answer, as a broken
    server or proxy might."""
    state = Server(delay)

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
                    await anyio.sleep(state.delay)
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
