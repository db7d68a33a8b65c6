"""A worker: takes shards from the taskiq queue (one per free slot), runs each with the
bulk engine, keeps a heartbeat per job it works on, and sweeps every job for workers
whose heartbeat expired: their claimed batches become unknown (never resent) and their
shards are queued again. SIGTERM stops taking shards and lets in-flight batches settle."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import anyio
import redis.asyncio as aioredis
from anyio.streams.memory import MemoryObjectSendStream
from taskiq.acks import AcknowledgeType
from taskiq.receiver import Receiver

from callsavvy_async._client import AsyncCallsavvy
from callsavvy_async.bulk._engine import Engine, SendBatch
from callsavvy_async.bulk._redis import JobKeys
from callsavvy_async.bulk._report import BulkReport
from callsavvy_async.distributed import _scripts
from callsavvy_async.distributed._broker import SHARD_TASK, enqueue, make_broker
from callsavvy_async.distributed._jobs import JOBS, connect
from callsavvy_async.distributed._shard import FrozenClaims, RedisPacer, persist
from callsavvy_async.resources.messaging import BulkChannel, batch_sender

__all__ = ["Worker"]

logger = logging.getLogger("callsavvy_async.distributed")

HEARTBEAT = 10.0
_REDIS_AWAY = (OSError, aioredis.ConnectionError, aioredis.TimeoutError)
_DIED = "in flight on a worker that stopped answering (heartbeat expired)"


class Worker:
    """Runs shards of any job on `url` with at most `concurrency` batches in flight.
    `heartbeat` is how long a silent worker keeps its claims (seconds, at most 30)."""

    def __init__(
        self,
        url: str,
        client: AsyncCallsavvy,
        *,
        concurrency: int = 8,
        heartbeat: float = HEARTBEAT,
        allow_volatile: bool = False,
    ) -> None:
        if not 0 < heartbeat <= 30:
            raise ValueError("heartbeat must be more than 0 and at most 30 seconds")
        self.url = url
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._cs = client
        self._concurrency = concurrency
        self._ttl_ms = round(heartbeat * 1000)
        self._heartbeat = heartbeat
        self._allow_volatile = allow_volatile
        self._held: Counter[str] = Counter()
        self._senders: dict[str, tuple[SendBatch, int, int]] = {}
        self._draining = False
        self.stopped_by: int | None = None
        self._redis: aioredis.Redis | None = None
        self._broker = make_broker(url, idle_timeout_ms=round(3 * heartbeat * 1000))

        async def run_shard(job: str, shard: int) -> None:
            await self.run_shard(job, shard)

        self._broker.task(task_name=SHARD_TASK)(run_shard)

    @property
    def redis(self) -> aioredis.Redis:
        if self._redis is None:
            raise RuntimeError("the worker is not running")
        return self._redis

    async def serve(self) -> None:
        """Work until SIGTERM or SIGINT, then finish the batches in flight and return."""
        self._redis = await connect(self.url, allow_volatile=self._allow_volatile)
        finish = asyncio.Event()
        try:
            await persist(self._broker.startup)
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self._stop_on_signal, finish)
                tasks.start_soon(self._beat)
                tasks.start_soon(self._sweep)
                logger.info("worker %s: taking shards", self.id)
                await self._listen(finish)
                tasks.cancel_scope.cancel()
        finally:
            await self._broker.shutdown()
            await self._redis.aclose()

    async def _listen(self, finish: asyncio.Event) -> None:
        """Take shards until `finish`; a lost Redis connection restarts the listener."""
        with ThreadPoolExecutor(max_workers=1) as executor:
            while not finish.is_set():
                receiver = Receiver(
                    self._broker,
                    executor,
                    validate_params=False,
                    max_async_tasks=self._concurrency,
                    max_prefetch=0,
                    run_startup=False,
                    ack_type=AcknowledgeType.WHEN_EXECUTED,
                )
                try:
                    await receiver.listen(finish)
                except Exception as exc:  # a lost connection, often inside a group
                    logger.warning("listener stopped (%r); listening again", exc)
                    await anyio.sleep(0.5)

    async def _stop_on_signal(self, finish: asyncio.Event) -> None:
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async for signum in signals:
                logger.info("worker %s: %s, settling what is in flight", self.id, signum)
                self._draining = True
                self.stopped_by = signum
                finish.set()
                return

    async def run_shard(self, job: str, shard: int) -> None:
        """The taskiq task: run `shard` of `job` unless it is done or held by a live worker."""
        keys = JobKeys(job)
        if self._draining:
            await self._enqueue(job, [shard])
            return
        names = [keys.shards, keys.hb, keys.taken]
        taken = await persist(
            lambda: self.redis.eval(_scripts.SHARD_TAKE, 3, *names, shard, self.id, self._ttl_ms)
        )
        if taken != "ok":
            return
        self._held[job] += 1
        logger.debug("job %s: shard %d taken", job, shard)
        try:
            complete = await self._run_batches(keys, shard)
        except Exception:
            logger.exception("job %s shard %d stopped; handing it back", job, shard)
            complete = False
        finally:
            self._held[job] -= 1
        if complete:
            await persist(
                lambda: self.redis.eval(
                    _scripts.SHARD_DONE, 2, keys.shards, keys.taken, shard, self.id
                )
            )
            await persist(lambda: self._maybe_done(keys))
        else:
            await persist(
                lambda: self.redis.eval(
                    _scripts.SHARD_RELEASE, 2, keys.shards, keys.taken, shard, self.id
                )
            )
            await self._enqueue(job, [shard])

    async def _run_batches(self, keys: JobKeys, shard: int) -> bool:
        """Send the shard's pending batches one at a time; False if stopped early."""
        send_batch, shard_batches, interval = await self._job(keys)
        last = int(await persist(lambda: self.redis.hget(keys.meta, "next")) or 0)
        first = shard * shard_batches + 1
        batches = range(first, min(first + shard_batches, last + 1))
        stopped = False

        async def produce(outbox: MemoryObjectSendStream[int]) -> None:
            nonlocal stopped
            async with outbox:
                for batch in batches:
                    if self._draining:
                        stopped = True
                        return
                    await outbox.send(batch)

        claims = FrozenClaims(self.redis, keys, self.id)
        engine = Engine(
            send_batch,
            claims,
            RedisPacer(self.redis, keys, interval, claims),
            concurrency=1,
            report=BulkReport(),
        )
        try:
            await engine.run(produce)
        finally:
            with anyio.CancelScope(shield=True):
                await claims.flush()
        return not stopped

    async def _job(self, keys: JobKeys) -> tuple[SendBatch, int, int]:
        """The job's batch sender and settings, read once per job."""
        if keys.job not in self._senders:
            meta = await persist(lambda: self.redis.hgetall(keys.meta))
            spec = json.loads(meta["spec"])
            channel = BulkChannel(spec["name"], spec["resource"], spec["fields"], ())
            self._senders[keys.job] = (
                batch_sender(self._cs, channel),
                int(meta["shard_batches"]),
                int(meta["interval_ms"]),
            )
        return self._senders[keys.job]

    async def _enqueue(self, job: str, shards: list[int]) -> None:
        """Queue shards again, waiting out a Redis restart: a shard marked queued must reach
        the queue, or nobody would run it (queueing one twice is harmless)."""
        await persist(lambda: enqueue(self._broker, job, shards))

    async def _maybe_done(self, keys: JobKeys) -> None:
        counts = await self.redis.hgetall(keys.counts)
        freezing = await self.redis.hget(keys.meta, "state") == "freezing"
        if not freezing and int(counts.get("settled", 0)) >= int(counts.get("frozen", 0)):
            await self.redis.srem(JOBS, keys.job)

    async def _beat(self) -> None:
        """Extend this worker's heartbeat in every job it holds a shard of."""
        while True:
            for job in [job for job, held in self._held.items() if held > 0]:
                try:
                    await self.redis.eval(_scripts.BEAT, 1, JobKeys(job).hb, self.id, self._ttl_ms)
                except _REDIS_AWAY as exc:
                    logger.warning("heartbeat not written: %s", exc)
            await anyio.sleep(self._heartbeat / 3)

    async def _sweep(self) -> None:
        """Take over the work of workers whose heartbeat expired, in every running job."""
        while True:
            await anyio.sleep(self._heartbeat / 2)
            try:
                for job in await self.redis.smembers(JOBS):
                    await self._sweep_job(str(job))
            except _REDIS_AWAY as exc:
                logger.warning("sweep skipped: %s", exc)

    async def _sweep_job(self, job: str) -> None:
        keys = JobKeys(job)
        names = [keys.hb, keys.shards, keys.state, keys.inflight, keys.counts, keys.reason]
        names += [keys.batch, keys.taken]
        shards = await self.redis.eval(_scripts.SWEEP, len(names), *names, _DIED)
        if shards:
            logger.info("job %s: taking over shards %s", job, shards)
            await self._enqueue(job, [int(s) for s in shards])
