"""A loopback HTTP/1.1 server for the benchmarks: every POST is answered after a fixed delay.

It runs in its own process so that its CPU never counts as the client's. Two kinds:

- ``raw`` (the default): an ``asyncio.Protocol`` that parses just enough HTTP/1.1
  (request line, ``Content-Length``, ``Connection: close``) and answers from
  ``loop.call_later``. It costs a few tens of microseconds per request, so it is never the
  limit of a client benchmark on a small machine.
- ``uvicorn``: a bare ASGI app under uvicorn (h11, asyncio loop). Realistic, but pure-Python
  h11 costs about as much CPU per request as the client under test: on two cores it can be
  the bottleneck at high request rates (``fanout.py --server uvicorn`` shows it).

The answer is the Callsavvy envelope for the resource named by the last path segment:
``{"resource":"sendWhatsapp","status":"success","data":{"status":"sent"}}``.
The delay is fixed when the server starts; a ``?delay_ms=N`` query overrides it for one
request, so that one server can serve several latencies in the same run.

    with serve(delay=0.02) as server:          # starts a subprocess on a free port
        httpx.post(f"{server.url}/v1/sendWhatsapp", json={...})

The child reports its port on stdout, exits when its stdin closes (so it never outlives
the benchmark, even when the parent is killed) and after ``--max-seconds`` in any case.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["RunningServer", "serve"]

HOST = "127.0.0.1"
KINDS = ("raw", "uvicorn")


def envelope(resource: str) -> bytes:
    return json.dumps(
        {"resource": resource, "status": "success", "data": {"status": "sent"}},
        separators=(",", ":"),
    ).encode()


def _resource_and_delay(target: bytes, default: float) -> tuple[str, float]:
    """The last path segment and the delay in seconds for a request target."""
    path, _, query = target.partition(b"?")
    delay = default
    for pair in query.split(b"&"):
        key, _, value = pair.partition(b"=")
        if key == b"delay_ms" and value:
            delay = float(value) / 1000
    resource = path.rstrip(b"/").rpartition(b"/")[2].decode("latin-1") or "unknown"
    return resource, delay


# --- raw asyncio server -----------------------------------------------------------------


class _Http11(asyncio.Protocol):
    """Minimal HTTP/1.1 keep-alive server protocol (no chunked request bodies)."""

    def __init__(self, delay: float, answers: dict[str, bytes]) -> None:
        self._delay = delay
        self._answers = answers
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).split(b"\r\n")
            length = 0
            close = False
            for line in head[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection":
                    close = value.strip().lower() == b"close"
            if len(buffer) < end + 4 + length:
                return
            del buffer[: end + 4 + length]
            parts = head[0].split(b" ")
            resource, delay = _resource_and_delay(parts[1] if len(parts) > 1 else b"/", self._delay)
            answer = self._answers.get(resource)
            if answer is None:
                body = envelope(resource)
                answer = self._answers[resource] = (
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n%s" % (len(body), body)
                )
            if delay > 0:
                self._loop.call_later(delay, self._answer, answer, close)
            else:
                self._answer(answer, close)

    def _answer(self, answer: bytes, close: bool) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if close:
            transport.write(answer.replace(b"\r\n\r\n", b"\r\nconnection: close\r\n\r\n", 1))
            transport.close()
        else:
            transport.write(answer)


async def _serve_raw(sock: socket.socket, delay: float, max_seconds: float) -> None:
    loop = asyncio.get_running_loop()
    answers: dict[str, bytes] = {}
    server = await loop.create_server(lambda: _Http11(delay, answers), sock=sock, backlog=1024)
    async with server:
        await asyncio.sleep(max_seconds)


# --- uvicorn with a bare ASGI app -------------------------------------------------------


def _asgi_app(delay: float) -> Any:
    answers: dict[str, bytes] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        resource, wait = _resource_and_delay(
            scope["path"].encode() + b"?" + scope.get("query_string", b""), delay
        )
        body = answers.get(resource)
        if body is None:
            body = answers[resource] = envelope(resource)
        if wait > 0:
            await asyncio.sleep(wait)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


async def _serve_uvicorn(sock: socket.socket, delay: float, max_seconds: float) -> None:
    import uvicorn

    config = uvicorn.Config(
        _asgi_app(delay),
        http="h11",
        loop="asyncio",
        lifespan="off",
        access_log=False,
        log_level="warning",
        backlog=1024,
        timeout_keep_alive=60,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await asyncio.wait_for(asyncio.shield(task), max_seconds)
    except TimeoutError:
        server.should_exit = True
        await task


# --- the child process ------------------------------------------------------------------


def _exit_when_stdin_closes() -> None:
    """The parent holds our stdin: when it goes away (even killed), we go too."""
    with contextlib.suppress(OSError):
        while sys.stdin.buffer.read(1024):
            pass
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="loopback benchmark server")
    parser.add_argument("--kind", choices=KINDS, default="raw")
    parser.add_argument("--delay", type=float, default=0.02, help="seconds before answering")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="exit after this")
    args = parser.parse_args(argv)

    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # without it uvicorn's separate header and body writes wait out the peer's delayed ACK
    # (about 40 ms per answer on Linux).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, args.port))
    sock.listen(1024)
    sock.setblocking(False)
    print(sock.getsockname()[1], flush=True)
    threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
    serve_kind = _serve_raw if args.kind == "raw" else _serve_uvicorn
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_kind(sock, args.delay, args.max_seconds))


# --- the parent side --------------------------------------------------------------------


@dataclass(frozen=True)
class RunningServer:
    url: str  # "http://127.0.0.1:PORT"
    port: int
    pid: int
    kind: str
    delay: float


@contextlib.contextmanager
def serve(
    delay: float = 0.02,
    *,
    kind: str = "raw",
    startup_timeout: float = 15.0,
    max_seconds: float = 900.0,
) -> Iterator[RunningServer]:
    """Run the server in a subprocess on a free loopback port until the block exits."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--kind",
        kind,
        "--delay",
        str(delay),
        "--max-seconds",
        str(max_seconds),
    ]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        port = _read_port(process, startup_timeout)
        _wait_until_accepting(port, startup_timeout)
        yield RunningServer(f"http://{HOST}:{port}", port, process.pid, kind, delay)
    finally:
        _stop(process)


def _read_port(process: subprocess.Popen[bytes], timeout: float) -> int:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        raise RuntimeError(f"benchmark server did not start within {timeout} s")
    line = process.stdout.readline()
    if not line.strip():
        raise RuntimeError(f"benchmark server exited with {process.wait(5)}")
    return int(line)


def _wait_until_accepting(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((HOST, port), timeout=1.0):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
    if process.stdout is not None:
        process.stdout.close()


if __name__ == "__main__":
    main()
