"""A keep-alive HTTP/1.1 load generator for one loopback URL, run as its own process:
`python -m benchmarks._load PORT REQUESTS CONNECTIONS` prints {"rps": ..., "p99_ms": ...}."""

from __future__ import annotations

import asyncio
import json
import sys
import time

from callsavvy_async._samples import encode_event, sample_payload


async def _connection(port: int, count: int, request: bytes, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
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
    finally:
        writer.close()


async def main(port: int, requests: int, connections: int) -> None:
    content_type, body = encode_event(sample_payload("callSummary"))
    request = (
        f"POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: {content_type}\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode() + body
    latencies: list[float] = []
    started = time.perf_counter()
    per_connection = requests // connections
    await asyncio.gather(
        *(_connection(port, per_connection, request, latencies) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(json.dumps({"rps": len(latencies) / elapsed, "p99_ms": p99 * 1000}))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
