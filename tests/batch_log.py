"""An independent fake of the send endpoints for the distributed tests: an ASGI app under
uvicorn on a thread that logs every batch it accepts (when, which resource, which
numbers) and answers after a fixed latency; it can answer 429 with a Retry-After, and
hold every batch until the test opens its `gate`."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import uvicorn


@attrs.define
class Batch:
    at: float
    resource: str
    numbers: tuple[str, ...]


@attrs.define
class BatchLog:
    latency: float = 0.0
    rate_limited: int = 0
    retry_after: float = 1.0
    gate: threading.Event | None = None
    waiting: int = 0
    batches: list[Batch] = attrs.field(factory=list)
    refused: list[float] = attrs.field(factory=list)

    @property
    def numbers(self) -> list[str]:
        return [n for batch in self.batches for n in batch.numbers]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        resource = scope["path"].rsplit("/", 1)[-1]
        if self.rate_limited > 0:
            self.rate_limited -= 1
            self.refused.append(time.monotonic())
            headers = ((b"retry-after", str(self.retry_after).encode()),)
            await _answer(send, 429, {"status": "error", "message": "slow down"}, headers)
            return
        fields = json.loads(body or b"{}")
        await self._pass_gate()
        await asyncio.sleep(self.latency)
        numbers = tuple(str(fields.get("recipient", "")).split(","))
        self.batches.append(Batch(time.monotonic(), resource, numbers))
        answer = {"resource": resource, "status": "success", "data": {"status": "sent"}}
        await _answer(send, 200, answer)

    async def _pass_gate(self) -> None:
        """Wait (counted in `waiting`) until the gate, if any, is open."""
        if self.gate is None:
            return
        self.waiting += 1
        try:
            while not self.gate.is_set():  # noqa: ASYNC110 - set from the test's thread
                await asyncio.sleep(0.005)
        finally:
            self.waiting -= 1


async def _answer(
    send: Any, status: int, payload: dict[str, Any], headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = json.dumps(payload).encode()
    head = [(b"content-type", b"application/json"), *headers]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


@contextmanager
def serving_log(log: BatchLog) -> Iterator[str]:
    """Serve `log` on a free loopback port on a thread; yield the API base URL."""
    config = uvicorn.Config(log, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the batch log server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(10)
