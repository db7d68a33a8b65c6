"""RedisJournal: the JobStore on Redis (redis-py's asyncio client), shared by every
process and machine that works on a job. Each step is one Lua script (see `_scripts`), so
a claim is atomic and an outcome is recorded only by the claim's holder. A Redis that
can lose acknowledged writes is refused: a lost claim would mean a resend."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import anyio
import attrs

from callsavvy_async._errors import VolatileRedisError
from callsavvy_async.bulk import _scripts
from callsavvy_async.bulk._store import (
    Admission,
    Finished,
    JournalInUseError,
    JournalMismatchError,
    Problem,
)

try:
    import redis
    import redis.asyncio as aioredis
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(
        'RedisJournal needs the distributed extra: pip install "callsavvy-async[distributed]"'
    ) from exc

from callsavvy_async.bulk._lease import LEASE_SECONDS, Lease, LeaseLostError

__all__ = ["JobKeys", "RedisJournal", "VolatileRedisError", "check_durable"]

logger = logging.getLogger("callsavvy_async.bulk")

COST_UNIT = Decimal(1_000_000)
_STOPPED = "in flight when the job stopped"


@attrs.frozen
class JobKeys:
    """The key names of one job, all with the job's hash tag."""

    job: str

    def __getattr__(self, name: str) -> str:
        return f"callsavvy:{{{self.job}}}:{name}"


async def check_durable(client: aioredis.Redis, *, allow_volatile: bool) -> None:
    """Refuse a Redis without `appendonly yes` and `appendfsync always`, unless allowed."""
    try:
        config = await client.config_get("append*")
    except redis.ResponseError:  # CONFIG renamed or disabled: durability cannot be shown
        config = {}
    appendonly, appendfsync = config.get("appendonly", "?"), config.get("appendfsync", "?")
    if appendonly == "yes" and appendfsync == "always":
        return
    message = (
        f"Redis can lose acknowledged writes (appendonly {appendonly}, appendfsync "
        f"{appendfsync}), and a lost claim means a resend: run it with --appendonly yes "
        "--appendfsync always, or allow a volatile Redis (--allow-volatile-redis) to take "
        "that risk"
    )
    if not allow_volatile:
        raise VolatileRedisError(message)
    logger.warning("%s; going on, as allowed", message)


class RedisJournal:
    """A JobStore in Redis at `url`. `job` names the job's keys (by default its identity);
    `allow_volatile` accepts a Redis that can lose acknowledged writes. One run at a time
    may hold a job: a run renews its lease on the job every third of `lease` seconds, so a
    run that died frees the job `lease` seconds later."""

    def __init__(
        self,
        url: str,
        *,
        job: str | None = None,
        allow_volatile: bool = False,
        lease: float = LEASE_SECONDS,
    ) -> None:
        if not lease > 0:
            raise ValueError("lease must be more than 0 seconds")
        self.url = url
        self._job = job
        self._allow_volatile = allow_volatile
        self._lease_seconds = lease
        self._owner = f"local:{uuid.uuid4().hex}"
        self._client: aioredis.Redis | None = None
        self._keys: JobKeys | None = None
        self._run = 0
        self._resend_unknown = False
        self._sizes: dict[int, int] = {}

    @property
    def keys(self) -> JobKeys:
        if self._keys is None:
            raise RuntimeError("the journal is not open: use it inside session()")
        return self._keys

    @property
    def _redis(self) -> aioredis.Redis:
        if self._client is None:
            raise RuntimeError("the journal is not open: use it inside session()")
        return self._client

    @asynccontextmanager
    async def session(self, identity: str, *, resend_unknown: bool) -> AsyncIterator[None]:
        """Open job `identity` (refusing another job's keys, and the job while another run
        holds it): what was in flight when an earlier run stopped becomes unknown, and
        failed batches are admitted anew. The run holds the job's lease until it leaves."""
        client = aioredis.from_url(self.url, decode_responses=True)
        lease: Lease | None = None
        try:
            await check_durable(client, allow_volatile=self._allow_volatile)
            self._client, self._keys = client, JobKeys(self._job or identity)
            self._resend_unknown = resend_unknown
            lease = await self._open(identity)
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self._hold, lease)
                try:
                    yield
                finally:
                    tasks.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            if len(group.exceptions) == 1:
                raise group.exceptions[0] from None
            raise
        finally:
            self._client = None
            with anyio.CancelScope(shield=True):
                if lease is not None:
                    await lease.release()
                await client.aclose()

    async def _open(self, identity: str) -> Lease:
        keys, client = self.keys, self._redis
        await client.hsetnx(keys.meta, "identity", identity)
        if await client.hget(keys.meta, "identity") != identity:
            raise JournalMismatchError(
                f"Redis job {keys.job!r} belongs to another job: use another job id, "
                "or the same channel, uid and message"
            )
        lease = Lease(client, keys.lease, self._owner, self._lease_seconds)
        if not await lease.take():
            raise JournalInUseError(
                f"Redis job {keys.job!r} is in use by another run of this job; wait for it "
                "to finish (running both would send their recipients twice). A run that "
                f"died frees the job {self._lease_seconds:g} s after its last renewal"
            )
        if await client.hexists(keys.meta, "shard_batches"):
            await lease.release()
            raise JournalInUseError(
                f"Redis job {keys.job!r} is a distributed job: its workers send it "
                "(`callsavvy report` shows it); use another job id for a run in one process"
            )
        try:
            self._run = int(await client.hincrby(keys.meta, "run", 1))
            await orphan(client, keys, _STOPPED)
            retire = ("failed", "unknown") if self._resend_unknown else ("failed",)
            await reopen(client, keys, "retired", retire)
            await client.delete(keys.invalid)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await lease.release()
            raise
        return lease

    async def _hold(self, lease: Lease) -> None:
        """Keep the lease; stop the run if another run took the job meanwhile."""
        try:
            await lease.hold()
        except LeaseLostError:
            raise JournalInUseError(
                f"Redis job {self.keys.job!r} was taken by another run while this one could "
                f"not renew its lease for {lease.seconds:g} s; this run stopped"
            ) from None

    async def admit(
        self, numbers: Sequence[str], invalid: Sequence[tuple[str, str]] = ()
    ) -> Admission:
        """Record a chunk of normalised numbers; return those to send and what the rest are."""
        return await admit(
            self._redis, self.keys, self._run, numbers, invalid, self._resend_unknown
        )

    async def claim(self, numbers: Sequence[str]) -> int:
        """Record a batch in flight, held by this journal, and return its id."""
        batch = await create(self._redis, self.keys, self._run, numbers, self._owner)
        self._sizes[batch] = len(numbers)
        return batch

    async def finish(self, finished: Finished) -> None:
        size = self._sizes.pop(finished.batch, None)
        await finish(self._redis, self.keys, self._owner, finished, size=size)

    def problems(self) -> Iterator[Problem]:
        """Every failed, unknown or invalid recipient of the job, read from Redis."""
        client = redis.Redis.from_url(self.url, decode_responses=True)
        try:
            yield from problems(client, self.keys)
        finally:
            client.close()


_SHAS: dict[str, str] = {}


async def run_script(client: aioredis.Redis, source: str, keys: list[str], args: list[Any]) -> Any:
    """Run a script by its digest, loading it first where the server lacks it."""
    sha = _SHAS.get(source)
    if sha is None:
        sha = _SHAS[source] = hashlib.sha1(source.encode()).hexdigest()
    try:
        return await client.evalsha(sha, len(keys), *keys, *args)
    except redis.exceptions.NoScriptError:
        return await client.eval(source, len(keys), *keys, *args)


async def admit(
    client: aioredis.Redis,
    keys: JobKeys,
    run: int,
    numbers: Sequence[str],
    invalid: Sequence[tuple[str, str]],
    resend_unknown: bool,
) -> Admission:
    """Sort a chunk by what the job knows of each number, in one script call."""
    if invalid:
        await client.rpush(keys.invalid, *(json.dumps(item) for item in invalid))
        await client.hincrby(keys.counts, "invalid", len(invalid))
    if not numbers:
        return Admission([])
    args = [run, int(resend_unknown), *numbers]
    codes = await run_script(client, _scripts.ADMIT, [keys.rcpt, keys.state, keys.counts], args)
    new = [number for number, code in zip(numbers, codes, strict=True) if code == 0]
    return Admission(new, codes.count(1), codes.count(2), codes.count(3))


async def create(
    client: aioredis.Redis,
    keys: JobKeys,
    run: int,
    numbers: Sequence[str],
    owner: str | None,
) -> int:
    """A new batch: claimed by `owner`, or pending (frozen for workers) when None."""
    state = "pending" if owner is None else "inflight"
    script_keys = [keys.meta, keys.batch, keys.state, keys.inflight, keys.rcpt, keys.counts]
    args = [run, state, owner or "", *numbers]
    return int(await run_script(client, _scripts.CREATE, script_keys, args))


async def freeze(
    client: aioredis.Redis, keys: JobKeys, run: int, batches: Sequence[Sequence[str]]
) -> list[int]:
    """New pending batches (for workers to claim), in one call; their ids."""
    args: list[Any] = [run]
    for numbers in batches:
        args += [len(numbers), *numbers]
    script_keys = [keys.meta, keys.batch, keys.state, keys.rcpt, keys.counts]
    return [int(i) for i in await run_script(client, _scripts.FREEZE, script_keys, args)]


async def claim(client: aioredis.Redis, keys: JobKeys, batch: int, owner: str) -> list[str] | None:
    """Claim a frozen batch for `owner`: its numbers, or None if it is not pending."""
    script_keys = [keys.batch, keys.state, keys.inflight, keys.counts]
    numbers = await run_script(client, _scripts.CLAIM, script_keys, [batch, owner])
    return None if numbers is None else str(numbers).split(",")


async def finish(
    client: aioredis.Redis, keys: JobKeys, owner: str, finished: Finished, size: int | None
) -> bool:
    """Record an outcome if `owner` still holds the claim; whether it did."""
    if size is None:
        numbers = await client.hget(keys.batch, str(finished.batch))
        size = 0 if numbers is None else str(numbers).count(",") + 1
    cost = int((finished.cost or 0) * COST_UNIT)
    args = [finished.batch, owner, finished.outcome, size, cost, finished.reason or ""]
    script_keys = [keys.state, keys.inflight, keys.counts, keys.reason]
    return bool(await run_script(client, _scripts.FINISH, script_keys, args))


async def orphan(client: aioredis.Redis, keys: JobKeys, reason: str, *owners: str) -> int:
    """Batches claimed by `owners` (all when none given) become unknown; how many."""
    script_keys = [keys.state, keys.inflight, keys.counts, keys.reason, keys.batch]
    return int(await run_script(client, _scripts.ORPHAN, script_keys, [reason, *owners]))


async def reopen(
    client: aioredis.Redis, keys: JobKeys, state: str, outcomes: Sequence[str]
) -> list[int]:
    """Settled batches with these outcomes become `state`; their ids."""
    script_keys = [keys.state, keys.counts, keys.batch]
    ids = await run_script(client, _scripts.REOPEN, script_keys, [state, *outcomes])
    return [int(i) for i in ids]


def problems(client: redis.Redis, keys: JobKeys) -> Iterator[Problem]:
    """Failed and unknown batches' recipients, then the invalid ones (sync: for reports)."""
    for batch, state in client.hscan_iter(keys.state):
        if state in ("failed", "unknown"):
            numbers = client.hget(keys.batch, batch) or ""
            reason = client.hget(keys.reason, batch) or state
            for number in str(numbers).split(","):
                yield Problem(number, str(state), str(reason))
    for item in client.lrange(keys.invalid, 0, -1):
        raw, reason = json.loads(item)
        yield Problem(raw, "invalid", reason)
