"""Fan-out: 1,000 WhatsApp batches of 30 (30,000 recipients), 64 in flight, against a
loopback server that answers every POST after a fixed delay (20 ms and 200 ms).

efficiency = ideal / elapsed, ideal = ceil(requests / concurrency) x latency.

Every variant runs on the same servers in the same process, interleaved round by round
(the order rotates each round), on asyncio and on trio where it can; medians over rounds
are reported, and "vs aiometer" is the median of per-round ratios to aiometer's run on the
same backend and latency. CPU per request is the client process's CPU time
(`time.process_time`) over the run divided by the requests; the server runs in its own
process and its CPU per request is shown too, to show it is not the limit.

Variants (a driver over a transport; all but the SDK ones behind `httpx.AsyncClient`):
  httpx pool + semaphore        anyio CapacityLimiter loop over httpx's own pool sized for
                                the job (`httpx.Limits(max_connections=64)`)
  httpx pool + aiometer         the baseline named in the issue: `aiometer.run_on_each`
  httpx pool ka=20 + semaphore  httpx's default keep-alive limit (20): fewer idle
                                connections to scan, but connections churn  [--all]
  8 sharded pools + semaphore   8 httpx transports of 8 connections, least loaded first [--all]
  PoolTransport + semaphore     the candidate default: an O(1) pool over httpcore connections
  aiohttp transport + semaphore `httpx_aiohttp.AiohttpTransport` (asyncio only)
  httpx2 + semaphore            outside reference, when installed  [--all]
  SDK send + semaphore          `cs.whatsapp.send` per batch through the semaphore loop
  ours: send_bulk               `cs.whatsapp.send_bulk(uid, 30,000 recipients, concurrency=64)`
                                on the SDK's default transport (PoolTransport).

Default run (about 2 minutes): 20 ms x 3 rounds, 200 ms x 2 rounds for the baseline and the
candidates; --quick (under 30 s): 256 requests, 1 round, every variant at 20 ms; --all:
every variant at every latency, 3 rounds (about 5 minutes).
Targets: at 200 ms efficiency >= 0.93 in every round (0.95 on a quiet machine); at 20 ms
>= 4.5x aiometer's speed on asyncio and >= 3x on trio.

    python benchmarks/fanout.py [--quick] [--server uvicorn] [--rounds N] [--variants ...]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import anyio
import httpx

from benchmarks._report import Row, print_table, row
from benchmarks._server import serve
from callsavvy_async import AsyncCallsavvy

BACKENDS = ("asyncio", "trio")
REQUESTS = 1000
BATCH = 30
CONCURRENCY = 64
LATENCIES = (0.02, 0.2)
RUN_TIMEOUT = 120.0  # seconds; no single run may take longer
UID = "benchmark-channel"
MESSAGE = "Your appointment is tomorrow at 10:00."
HEADERS = {
    "Public-Key": "pk",
    "Private-Key": "sk",
    "Content-Type": "application/json",
    "Accept": "application/json",
}
OURS = "ours: send_bulk"
BASELINE = "httpx pool + aiometer"
JOURNALED = "ours: send_bulk + journal file"


# --- the job ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    base_url: str  # "http://127.0.0.1:PORT/v1"
    latency: float
    requests: int = REQUESTS
    concurrency: int = CONCURRENCY

    @property
    def url(self) -> str:
        return f"{self.base_url}/sendWhatsapp"

    @property
    def ideal(self) -> float:
        return math.ceil(self.requests / self.concurrency) * self.latency


def _number(index: int) -> str:
    return f"+4479{index:08d}"


def recipients(job: Job) -> Iterator[str]:
    """Every recipient of the job, lazily: requests x 30 distinct E.164 numbers."""
    return (_number(i) for i in range(job.requests * BATCH))


def batch_numbers(index: int) -> list[str]:
    return [_number(index * BATCH + k) for k in range(BATCH)]


def batch_body(index: int) -> bytes:
    body = {"uid": UID, "recipient": ",".join(batch_numbers(index)), "message": MESSAGE}
    return json.dumps(body, separators=(",", ":")).encode()


# --- drivers: run `send(i)` for every batch with at most `concurrency` in flight ---------

Send = Callable[[int], Awaitable[None]]
Driver = Callable[[Job, Send], Awaitable[None]]


async def semaphore_loop(job: Job, send: Send) -> None:
    """The plain pattern: a CapacityLimiter slot is taken before each task is started."""
    limiter = anyio.CapacityLimiter(job.concurrency)

    async def one(index: int, token: object) -> None:
        try:
            await send(index)
        finally:
            limiter.release_on_behalf_of(token)

    async with anyio.create_task_group() as tg:
        for index in range(job.requests):
            token = object()
            await limiter.acquire_on_behalf_of(token)
            tg.start_soon(one, index, token)


async def aiometer_loop(job: Job, send: Send) -> None:
    import aiometer

    await aiometer.run_on_each(send, range(job.requests), max_at_once=job.concurrency)


# --- transports ---------------------------------------------------------------------------


def _limits(connections: int, keepalive: int | None = None) -> httpx.Limits:
    # httpx.Limits(max_connections=n) alone leaves keep-alive unlimited: all n stay pooled.
    return httpx.Limits(max_connections=connections, max_keepalive_connections=keepalive)


TransportFactory = Callable[..., httpx.AsyncBaseTransport]


def load_pool_transport() -> tuple[TransportFactory | None, bool]:
    """The SDK's default transport, PoolTransport (callsavvy_async._transport)."""
    from callsavvy_async._transport import PoolTransport

    return PoolTransport, True


class _CountedStream(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream, inflight: list[int], index: int) -> None:
        self._stream = stream
        self._inflight = inflight
        self._index = index
        self._open = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._stream:
            yield part

    async def aclose(self) -> None:
        if self._open:
            self._open = False
            self._inflight[self._index] -= 1
        await self._stream.aclose()


class ShardedTransport(httpx.AsyncBaseTransport):
    """Requests spread over `shards` independent httpx pools, each with an equal share of
    the connections, to the least loaded one: the cost of httpcore's pool bookkeeping
    grows with the square of a pool's size, so smaller pools cost less per request."""

    def __init__(self, shards: int, max_connections: int) -> None:
        per_shard = max(1, max_connections // shards)
        self._shards = [httpx.AsyncHTTPTransport(limits=_limits(per_shard)) for _ in range(shards)]
        self._inflight = [0] * shards

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        inflight = self._inflight
        index = inflight.index(min(inflight))
        inflight[index] += 1
        try:
            response = await self._shards[index].handle_async_request(request)
        except BaseException:
            inflight[index] -= 1
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _CountedStream(response.stream, inflight, index)
        return response

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.aclose()


def _aiohttp_transport(connections: int) -> httpx.AsyncBaseTransport:
    import aiohttp
    from httpx_aiohttp import AiohttpTransport

    def session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections))

    return AiohttpTransport(client=session)


# --- variants -----------------------------------------------------------------------------

Run = Callable[[], Awaitable[None]]
Setup = Callable[[Job], AbstractAsyncContextManager[Run]]


@dataclass(frozen=True)
class Variant:
    name: str
    setup: Setup  # opens the client (untimed) and yields the timed job
    backends: tuple[str, ...] = BACKENDS
    default: bool = True  # measured at 20 ms in the default run (else --quick or --all)
    slow_too: bool = False  # measured at 200 ms in the default run (else --all)


def _check(response: httpx.Response) -> None:
    if response.status_code != 200 or response.json()["status"] != "success":
        raise RuntimeError(f"unexpected answer: {response.status_code} {response.text[:200]}")


def client_variant(
    name: str,
    transport: Callable[[], httpx.AsyncBaseTransport],
    driver: Driver,
    **options: Any,
) -> Variant:
    @asynccontextmanager
    async def setup(job: Job) -> AsyncIterator[Run]:
        async with httpx.AsyncClient(
            transport=transport(), headers=HEADERS, timeout=30.0, trust_env=False
        ) as client:

            async def send(index: int) -> None:
                _check(await client.post(job.url, content=batch_body(index)))

            yield lambda: driver(job, send)

    return Variant(name, setup, **options)


def httpx2_variant() -> Variant | None:
    try:
        import httpx2
    except ImportError:
        return None

    @asynccontextmanager
    async def setup(job: Job) -> AsyncIterator[Run]:
        limits = httpx2.Limits(max_connections=job.concurrency)
        async with httpx2.AsyncClient(
            limits=limits, headers=HEADERS, timeout=30.0, trust_env=False
        ) as client:

            async def send(index: int) -> None:
                response = await client.post(job.url, content=batch_body(index))
                if response.json()["status"] != "success":
                    raise RuntimeError(response.text[:200])

            yield lambda: semaphore_loop(job, send)

    return Variant("httpx2 + semaphore", setup, default=False)


def _sdk_client(job: Job, transport: httpx.AsyncBaseTransport | None) -> AsyncCallsavvy:
    return AsyncCallsavvy(
        public_key="pk",
        private_key="sk-secret",
        base_url=job.base_url,
        max_connections=job.concurrency,
        timeout=30.0,
        transport=transport,
    )


def sdk_send_variant(
    name: str, transport: Callable[[Job], httpx.AsyncBaseTransport | None], **kw: Any
) -> Variant:
    @asynccontextmanager
    async def setup(job: Job) -> AsyncIterator[Run]:
        async with _sdk_client(job, transport(job)) as cs:

            async def send(index: int) -> None:
                result = await cs.whatsapp.send(UID, batch_numbers(index), MESSAGE)
                if result.status != "sent":
                    raise RuntimeError(f"unexpected result {result!r}")

            yield lambda: semaphore_loop(job, send)

    return Variant(name, setup, **kw)


def send_bulk_variant(
    name: str,
    transport: Callable[[Job], httpx.AsyncBaseTransport | None],
    *,
    journal: bool = False,
    **kw: Any,
) -> Variant:
    @asynccontextmanager
    async def setup(job: Job) -> AsyncIterator[Run]:
        async with _sdk_client(job, transport(job)) as cs:

            async def run() -> None:
                with tempfile.TemporaryDirectory() as folder:
                    path = os.path.join(folder, "job.sqlite") if journal else None
                    report = await cs.whatsapp.send_bulk(
                        UID, recipients(job), MESSAGE, concurrency=job.concurrency, journal=path
                    )
                expected = job.requests * BATCH
                if getattr(report, "sent", expected) != expected:
                    raise RuntimeError(f"send_bulk did not send everything: {report!r}")

            yield run

    return Variant(name, setup, **kw)


def variants() -> list[Variant]:
    """Every variant this environment can run; OURS and BASELINE always among them."""
    pool_transport, packaged = load_pool_transport()
    found: list[Variant] = [
        client_variant(
            "httpx pool + semaphore",
            lambda: httpx.AsyncHTTPTransport(limits=_limits(CONCURRENCY)),
            semaphore_loop,
        ),
        client_variant(
            BASELINE,
            lambda: httpx.AsyncHTTPTransport(limits=_limits(CONCURRENCY)),
            aiometer_loop,
            slow_too=True,
        ),
        client_variant(
            "httpx pool ka=20 + semaphore",
            lambda: httpx.AsyncHTTPTransport(limits=_limits(CONCURRENCY, 20)),
            semaphore_loop,
            default=False,
        ),
        client_variant(
            "8 sharded pools + semaphore",
            lambda: ShardedTransport(8, CONCURRENCY),
            semaphore_loop,
            default=False,
        ),
    ]
    if pool_transport is not None:
        candidate = pool_transport
        found.append(
            client_variant(
                "PoolTransport + semaphore",
                lambda: candidate(limits=_limits(CONCURRENCY)),
                semaphore_loop,
                slow_too=True,
            )
        )
    with contextlib.suppress(ImportError):
        import httpx_aiohttp  # noqa: F401

        found.append(
            client_variant(
                "aiohttp transport + semaphore",
                lambda: _aiohttp_transport(CONCURRENCY),
                semaphore_loop,
                backends=("asyncio",),
                slow_too=True,
            )
        )
    reference = httpx2_variant()
    if reference is not None:
        found.append(reference)

    # The SDK: its default transport once the package has one of its own, else the
    # candidate passed explicitly (or httpx's pool when the candidate is nowhere).
    def ours_transport(job: Job) -> httpx.AsyncBaseTransport | None:
        if packaged or pool_transport is None:
            return None
        return pool_transport(limits=_limits(job.concurrency))

    found.append(sdk_send_variant("SDK send + semaphore", ours_transport))
    if _has_send_bulk():
        found.append(send_bulk_variant(OURS, ours_transport, slow_too=True))
        found.append(send_bulk_variant(JOURNALED, ours_transport, journal=True))
    else:  # before the bulk engine exists, the SDK's send through a semaphore stands in
        found.append(sdk_send_variant(OURS, ours_transport, slow_too=True))
    return found


def _has_send_bulk() -> bool:
    from callsavvy_async.resources.messaging import Whatsapp

    return hasattr(Whatsapp, "send_bulk")


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Sample:
    elapsed: float
    cpu: float  # client process CPU seconds
    server_cpu: float | None  # server process CPU seconds
    round: int = 0


@dataclass
class Cell:
    variant: str
    backend: str
    latency: float
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of another process (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _timed(variant: Variant, job: Job) -> tuple[float, float]:
    async with variant.setup(job) as run:
        with anyio.fail_after(RUN_TIMEOUT):
            started, cpu = time.perf_counter(), time.process_time()
            await run()
            return time.perf_counter() - started, time.process_time() - cpu


def measure_once(
    variant: Variant, job: Job, backend: str, server_pid: int, round_number: int = 0
) -> Sample:
    server_before = _process_cpu(server_pid)
    elapsed, cpu = anyio.run(_timed, variant, job, backend=backend)
    server_after = _process_cpu(server_pid)
    server = None
    if server_before is not None and server_after is not None:
        server = server_after - server_before
    return Sample(elapsed, cpu, server, round_number)


@dataclass
class Results:
    cells: dict[tuple[str, str, float], Cell]
    requests: int
    concurrency: int
    rounds: int
    server_kind: str
    elapsed: float

    def cell(self, variant: str, backend: str, latency: float) -> Cell | None:
        return self.cells.get((variant, backend, latency))

    def efficiency(
        self, variant: str, backend: str, latency: float, *, worst: bool = False
    ) -> float | None:
        """Median efficiency over rounds (with `worst`, the lowest round's)."""
        cell = self.cell(variant, backend, latency)
        if cell is None or not cell.samples:
            return None
        ideal = math.ceil(self.requests / self.concurrency) * latency
        each = [ideal / s.elapsed for s in cell.samples]
        return min(each) if worst else statistics.median(each)

    def versus(self, variant: str, other: str, backend: str, latency: float) -> float | None:
        """Median over rounds of this variant's speed over `other`'s in the same round."""
        mine, theirs = self.cell(variant, backend, latency), self.cell(other, backend, latency)
        if mine is None or theirs is None:
            return None
        by_round = {sample.round: sample for sample in theirs.samples}
        ratios = [
            by_round[sample.round].elapsed / sample.elapsed
            for sample in mine.samples
            if sample.round in by_round
        ]
        return statistics.median(ratios) if ratios else None

    def cpu_per_request(self, variant: str, backend: str, latency: float) -> float | None:
        cell = self.cell(variant, backend, latency)
        if cell is None or not cell.samples:
            return None
        return statistics.median(s.cpu for s in cell.samples) / self.requests

    def server_cpu_per_request(self, variant: str, backend: str, latency: float) -> float | None:
        cell = self.cell(variant, backend, latency)
        values = [s.server_cpu for s in cell.samples if s.server_cpu is not None] if cell else []
        return statistics.median(values) / self.requests if values else None


def measure(
    *,
    quick: bool = False,
    rounds: int | None = None,
    requests: int | None = None,
    latencies: tuple[float, ...] = LATENCIES,
    names: list[str] | None = None,
    everything: bool = False,
    server_kind: str = "raw",
    log: Callable[[str], None] | None = None,
) -> Results:
    """Run the interleaved rounds and return every sample.

    By default the `default` variants run at 20 ms for 3 rounds and the `slow_too` ones at
    200 ms for 2 (a run there lasts at least 3.2 s and varies little); `quick` runs every
    variant at 20 ms and the `slow_too` ones at 200 ms, 256 requests, 1 round; `everything`
    runs every variant at every latency for `rounds` (3) rounds; `names` picks variants.
    """
    requests = requests or (256 if quick else REQUESTS)
    rounds = rounds or (1 if quick else 3)
    slow_rounds = rounds if (everything or names or quick) else max(1, rounds - 1)
    chosen = [v for v in variants() if names is None or v.name in names]

    def wanted(variant: Variant, latency: float) -> bool:
        if everything or names is not None:
            return True
        if latency >= 0.1:
            return variant.slow_too
        return variant.default or quick

    started = time.perf_counter()
    cells: dict[tuple[str, str, float], Cell] = {}
    with contextlib.ExitStack() as stack:
        servers = {
            latency: stack.enter_context(
                serve(latency, kind=server_kind, max_seconds=900.0 + 600 * rounds)
            )
            for latency in latencies
        }
        plan = [
            (variant, backend, latency)
            for latency in latencies
            for variant in chosen
            if wanted(variant, latency)
            for backend in variant.backends
        ]
        for variant, backend, latency in plan:
            cells[variant.name, backend, latency] = Cell(variant.name, backend, latency)
        # warm up each variant and backend once (imports, SSL contexts, first connections)
        warm = Job(f"{servers[latencies[0]].url}/v1", latencies[0], requests=CONCURRENCY)
        for variant, backend in dict.fromkeys((v, b) for v, b, _ in plan):
            with contextlib.suppress(Exception):
                measure_once(variant, warm, backend, servers[latencies[0]].pid)
        for number in range(rounds):
            shift = number * 7 % max(len(plan), 1)  # rotate the order round by round
            for variant, backend, latency in plan[shift:] + plan[:shift]:
                if latency >= 0.1 and number >= slow_rounds:
                    continue
                server = servers[latency]
                job = Job(f"{server.url}/v1", latency, requests=requests)
                cell = cells[variant.name, backend, latency]
                try:
                    sample = measure_once(variant, job, backend, server.pid, number)
                except Exception as exc:  # one broken variant must not hide the others
                    cell.errors.append(f"{type(exc).__name__}: {exc}")
                    if log:
                        log(f"{variant.name} on {backend}: {type(exc).__name__}: {exc}")
                    continue
                cell.samples.append(sample)
                if log:
                    log(
                        f"round {number + 1}/{rounds} {latency * 1000:.0f} ms {backend:7} "
                        f"{variant.name:32} eff {job.ideal / sample.elapsed:.3f}"
                    )
    return Results(cells, requests, CONCURRENCY, rounds, server_kind, time.perf_counter() - started)


# --- reporting ----------------------------------------------------------------------------


def rows(results: Results) -> list[Row]:
    """The target rows: measure, ours, baseline, ratio, target, passed.

    With fewer requests than the real job (--quick) the first wave's start-up is spread over
    fewer waves, so efficiency reads low; the measure names say so."""
    found: list[Row] = []
    note = "" if results.requests == REQUESTS else f" [{results.requests} req]"
    for backend in BACKENDS:
        efficiency = results.efficiency(OURS, backend, 0.2, worst=True)
        if efficiency is not None:
            name = f"fanout 200 ms efficiency, worst round, {backend}{note}"
            found.append(row(name, efficiency, 1.0, ">= 0.93"))
    for backend in BACKENDS:
        journaled = results.efficiency(JOURNALED, backend, 0.02)
        plain = results.efficiency(OURS, backend, 0.02)
        if journaled is not None and plain is not None:
            found.append(
                row(
                    f"fanout 20 ms journal file vs none, {backend}{note}",
                    journaled,
                    plain,
                    ">= 0.8",
                )
            )
    for backend, target in (("asyncio", ">= 4.5"), ("trio", ">= 3")):
        ours = results.efficiency(OURS, backend, 0.02)
        baseline = results.efficiency(BASELINE, backend, 0.02)
        if ours is None or baseline is None:
            continue
        item = row(f"fanout 20 ms speed vs aiometer, {backend}{note}", ours, baseline, target)
        paired = results.versus(OURS, BASELINE, backend, 0.02)
        if paired is not None:  # the paired per-round median is the steadier ratio
            item["ratio"] = round(paired, 3)
            bound = float(target.split()[-1])
            item["passed"] = paired >= bound
        found.append(item)
    return found


def _fmt(value: float | None, spec: str, scale: float = 1.0) -> str:
    return "-" if value is None else format(value * scale, spec)


def print_matrix(results: Results) -> None:
    latencies = sorted({latency for _, _, latency in results.cells})
    names = list(dict.fromkeys(name for name, _, _ in results.cells))
    header = ["variant", "backend"]
    for latency in latencies:
        ms = f"{latency * 1000:.0f}ms"
        header += [f"eff {ms}", f"vs aiometer {ms}", f"CPU/req {ms}", f"server/req {ms}"]
    lines = [header]
    for name in names:
        for backend in BACKENDS:
            if not any((name, backend, latency) in results.cells for latency in latencies):
                continue
            line = [name, backend]
            for latency in latencies:
                cell = results.cell(name, backend, latency)
                if cell is not None and cell.errors and not cell.samples:
                    line += ["error", "-", "-", "-"]
                    continue
                line += [
                    _fmt(results.efficiency(name, backend, latency), ".3f"),
                    _fmt(results.versus(name, BASELINE, backend, latency), ".2f"),
                    _fmt(results.cpu_per_request(name, backend, latency), ".0f", 1e6) + " us",
                    _fmt(results.server_cpu_per_request(name, backend, latency), ".0f", 1e6)
                    + " us",
                ]
            lines.append(line)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for number, line in enumerate(lines):
        print("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())
        if number == 0:
            print("  ".join("-" * w for w in widths))
    for cell in results.cells.values():
        for error in dict.fromkeys(cell.errors):
            print(f"! {cell.variant} on {cell.backend} at {cell.latency * 1000:.0f} ms: {error}")


def run(quick: bool = False) -> list[Row]:
    """Measure and return the table's rows (for `python -m benchmarks`)."""
    return rows(measure(quick=quick))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="256 requests, 1 round (< 30 s)")
    parser.add_argument("--rounds", type=int, help="rounds (default 3, quick 1)")
    parser.add_argument("--requests", type=int, help=f"requests per run (default {REQUESTS})")
    parser.add_argument(
        "--latencies", type=float, nargs="+", default=LATENCIES, help="server delays, seconds"
    )
    parser.add_argument("--variants", nargs="+", help="names of the variants to run")
    parser.add_argument(
        "--all", action="store_true", help="every variant at every latency, every round"
    )
    parser.add_argument("--server", choices=("raw", "uvicorn"), default="raw")
    parser.add_argument("--verbose", "-v", action="store_true", help="log every run")
    args = parser.parse_args()

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    results = measure(
        quick=args.quick,
        rounds=args.rounds,
        requests=args.requests,
        latencies=tuple(args.latencies),
        names=args.variants,
        everything=args.all,
        server_kind=args.server,
        log=log if args.verbose else None,
    )
    print(
        f"fan-out: {results.requests} requests of {BATCH} recipients, {CONCURRENCY} in flight, "
        f"{results.server_kind} loopback server, median of {results.rounds} round(s); "
        "eff = ideal / elapsed"
    )
    print_matrix(results)
    targets = rows(results)
    if targets:
        print()
        print_table(targets, "fan-out targets")
    print(f"\n{results.elapsed:.0f} s")


if __name__ == "__main__":
    main()
