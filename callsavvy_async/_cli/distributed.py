"""`callsavvy worker`, `callsavvy report` and `send --broker`: one job over many workers
(the `distributed` extra). The submitter sends nothing; workers take keys from the
environment like every command."""

from __future__ import annotations

import json
import logging
import os
import signal
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

import anyio
import typer

from callsavvy_async._cli.app import BaseUrl, Json, PrivateKey, PublicKey, app, console
from callsavvy_async._cli.progress import send_progress
from callsavvy_async._cli.report import exit_code, report_table
from callsavvy_async._cli.runner import (
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    errors,
    fail,
    run_job,
    stopped,
)
from callsavvy_async._errors import CallsavvyError, InvalidRequestError

__all__ = ["AllowVolatile", "Broker", "distributed_send"]

Broker = Annotated[
    str | None,
    typer.Option(
        "--broker",
        envvar="CALLSAVVY_BROKER_URL",
        show_envvar=True,
        metavar="URL",
        help="Redis URL shared by the workers: the job runs on them, not here.",
    ),
]
AllowVolatile = Annotated[
    bool,
    typer.Option(
        "--allow-volatile-redis",
        help="Accept a Redis that can lose acknowledged writes (a lost claim is a resend).",
    ),
]


def _distributed() -> Any:
    """The distributed package, or exit 2 explaining the extra it needs."""
    try:
        from callsavvy_async import distributed
    except ImportError as exc:
        fail(f"{exc}; install it with: pip install 'callsavvy-async[distributed]'", code=2)
    return distributed


def _run(job: Any, *, stoppable: bool = False) -> Any:
    """Run `job` on asyncio (taskiq and redis-py's client are asyncio's), with one-line
    errors: bad usage and a volatile Redis exit 2, an unreachable Redis exits 1. A
    `stoppable` job is cancelled by Ctrl-C or SIGTERM: (its result or None, the signal)."""
    import redis.exceptions

    try:
        if stoppable:
            return run_job(job)
        return anyio.run(job, backend="asyncio")
    except InvalidRequestError as exc:
        fail(str(exc), code=EXIT_USAGE)
    except (redis.exceptions.RedisError, OSError) as exc:
        fail(f"Redis: {exc}")
    except CallsavvyError as exc:
        fail(str(exc))


def _shown(url: str) -> str:
    """`url` as it may be printed: a password in it is masked."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _channel(name: str, arguments: dict[str, Any]) -> tuple[Any, int]:
    """The bulk channel and batch size of `send <name>` with these arguments."""
    from callsavvy_async.resources.messaging import (
        WHATSAPP_MAX_RECIPIENTS,
        Robocalls,
        Sms,
        Whatsapp,
    )

    if name == "whatsapp":
        channel = Whatsapp.channel(arguments["uid"], arguments["message"])
        return channel, WHATSAPP_MAX_RECIPIENTS
    if name == "sms":
        return Sms.channel(arguments["message"], arguments["sender_id"]), arguments["batch_size"]
    channel = Robocalls.channel(arguments["message"], arguments["call_type"], arguments["duration"])
    return channel, arguments["batch_size"]


def distributed_send(name: str, arguments: dict[str, Any], options: dict[str, Any]) -> None:
    """`send ... --broker URL --job-id ID`: submit, wait with progress, print the report
    and exit as a local send would; Ctrl-C leaves the job running on the workers."""
    distributed = _distributed()
    try:
        channel, batch_size = _channel(name, arguments)
    except InvalidRequestError as exc:
        fail(str(exc), code=EXIT_USAGE)
    recipients = arguments["recipients"]
    url, job_id = options["broker"], options.get("job_id")
    if not job_id:
        fail("--broker needs --job-id (the name the workers and `report` know it by)", code=2)
    if options.get("journal"):
        fail("--journal does nothing with --broker: the job's journal is in Redis", code=2)

    submitted = False

    async def job() -> Any:
        nonlocal submitted
        await distributed.submit_job(
            url,
            channel,
            recipients,
            job_id=job_id,
            batch_size=batch_size,
            rate_per_second=options.get("rate"),
            resend_unknown=bool(options.get("resend_unknown")),
            strict_numbers=bool(options.get("strict_numbers")),
            allow_volatile=bool(options.get("allow_volatile_redis")),
        )
        submitted = True
        with send_progress(errors, errors.is_terminal) as draw:
            return await distributed.wait_job(url, job_id, on_progress=draw)

    report, signum = _run(job, stoppable=True)
    if signum is not None:
        see = f"see it with: callsavvy report {job_id} --broker {_shown(url)}"
        if submitted:
            stopped(signum, f"job {job_id} goes on running on the workers; {see}")
        stopped(
            signum,
            f"job {job_id} is partly submitted: its batches frozen so far run on the "
            f"workers; run the same command again to submit the rest; {see}",
        )
    console.print(report_table(report))
    for problem in report.errors:
        console.print(f"  {problem}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(exit_code(report))


def _log_to_stderr() -> None:
    """A worker is a service: its takeovers and stops go to stderr (CALLSAVVY_LOG=debug
    for more)."""
    level = logging.DEBUG if os.environ.get("CALLSAVVY_LOG") == "debug" else logging.INFO
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("callsavvy_async.distributed", "callsavvy_async.bulk"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(level)


@app.command()
def worker(
    broker: Broker = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=512, metavar="N", help="Batches in flight.")
    ] = 8,
    heartbeat: Annotated[
        float,
        typer.Option(
            min=0.1, max=30, metavar="SECONDS", help="Seconds a silent worker keeps its claims."
        ),
    ] = 10.0,
    allow_volatile_redis: AllowVolatile = False,
    public_key: PublicKey = None,
    private_key: PrivateKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Run a worker: take shards of bulk jobs from --broker until SIGTERM or Ctrl-C."""
    from callsavvy_async._cli.app import make_client

    if not broker:
        fail("give --broker (or set CALLSAVVY_BROKER_URL)", code=2)
    distributed = _distributed()
    _log_to_stderr()
    cs = make_client(public_key, private_key, base_url, max_connections=max(concurrency, 10))
    node = distributed.Worker(
        broker,
        cs,
        concurrency=concurrency,
        heartbeat=heartbeat,
        allow_volatile=allow_volatile_redis,
    )

    async def job() -> None:
        async with cs:
            await node.serve()

    _run(job)
    if node.stopped_by == signal.SIGTERM:
        raise typer.Exit(EXIT_TERMINATED)
    if node.stopped_by == signal.SIGINT:
        raise typer.Exit(EXIT_INTERRUPTED)


@app.command()
def report(
    job_id: Annotated[
        str, typer.Argument(metavar="JOB_ID", help="The job id given to send --job-id.")
    ],
    broker: Broker = None,
    json_: Json = False,
) -> None:
    """Show the report of a distributed job, running or done."""
    if not broker:
        fail("give --broker (or set CALLSAVVY_BROKER_URL)", code=2)
    distributed = _distributed()
    found = _run(lambda: distributed.job_report(broker, job_id))
    if json_:
        print(json.dumps(found.as_json()))
        return
    console.print(report_table(found))
    console.print(f"state: {found.state}")
