"""A keep-alive HTTP/1.1 load generator for several loopback servers, run as its own process.

    python -m benchmarks._load ROUNDS REQUESTS CONNECTIONS PORT [PORT ...]

Each round sends REQUESTS callSummary deliveries to each port in turn (starting with a
different port each round), over CONNECTIONS connections per port opened once; short
rounds interleave the servers finely, so a machine whose speed drifts slows them alike.
Prints {"rps": [[per port] per round], "p99_ms": [[per port] per round]}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from callsavvy_async._samples import encode_event, sample_payload

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _exchange(
    connection: Connection, request: bytes, count: int, latencies: list[float]
) -> None:
    reader, writer = connection
    for _ in range(count):
        started = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head[:40].decode())
        latencies.append(time.perf_counter() - started)


async def _burst(
    connections: list[Connection], request: bytes, requests: int
) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) of one burst over these connections."""
    latencies: list[float] = []
    started = time.perf_counter()
    per_connection = max(1, requests // len(connections))
    await asyncio.gather(*(_exchange(c, request, per_connection, latencies) for c in connections))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return len(latencies) / elapsed, latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000


async def main(rounds: int, requests: int, connections: int, ports: list[int]) -> None:
    content_type, body = encode_event(sample_payload("callSummary"))
    request = (
        f"POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: {content_type}\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode() + body
    pools = [
        [await asyncio.open_connection("127.0.0.1", port) for _ in range(connections)]
        for port in ports
    ]
    try:
        for pool in pools:
            await _burst(pool, request, min(requests, 500))
        rps: list[list[float]] = []
        p99: list[list[float]] = []
        for round_ in range(rounds):
            order = [(round_ + i) % len(pools) for i in range(len(pools))]
            measured = {i: await _burst(pools[i], request, requests) for i in order}
            rps.append([measured[i][0] for i in range(len(pools))])
            p99.append([measured[i][1] for i in range(len(pools))])
    finally:
        for pool in pools:
            for _, writer in pool:
                writer.close()
    print(json.dumps({"rps": rps, "p99_ms": p99}))


if __name__ == "__main__":
    arguments = [int(argument) for argument in sys.argv[1:]]
    asyncio.run(main(arguments[0], arguments[1], arguments[2], arguments[3:]))
