"""`callsavvy sandbox` (serve the sandbox on loopback) and `callsavvy trigger` (post a
sample webhook event to a URL)."""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated, NoReturn

import httpx
import typer
from rich.markup import escape

from callsavvy_async._cli.app import app, console
from callsavvy_async._cli.report import plural
from callsavvy_async._cli.runner import (
    EXIT_AUTH,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    exit_code_for_signal,
    fail,
    run,
)
from callsavvy_async._samples import EVENT_NAMES
from callsavvy_async.sandbox import TEST_PRIVATE_KEY, TEST_PUBLIC_KEY, Sandbox, serve
from callsavvy_async.sandbox._emitter import post_event, redirect_advice

__all__ = ["sandbox", "trigger"]

WEBHOOK_EVENTS_HELP = (
    "POST webhook events to URL as the API causes them: newTicketOpened after each "
    "createTicket, callSummary for each robocall recipient after sendRobocall. Each is "
    "posted after the API's answer; a failure or a redirect is logged, not retried."
)


class _Stop(BaseException):
    """Ctrl-C or SIGTERM, raised once uvicorn has shut down and passed the signal on."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stop(signum: int, frame: FrameType | None) -> NoReturn:
    raise _Stop(signum)


@contextmanager
def _stop_signals() -> Iterator[None]:
    """Turn Ctrl-C and SIGTERM into _Stop while serving (uvicorn handles them first, then
    raises them again after its graceful shutdown)."""
    names = [name for name in ("SIGINT", "SIGTERM") if hasattr(signal, name)]
    previous = {name: signal.signal(getattr(signal, name), _raise_stop) for name in names}
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)


def _request_counts(box: Sandbox) -> str:
    counts = ", ".join(f"{name} {count:,}" for name, count in sorted(box.requests.items()))
    return (
        f"Served {plural(box.requests.total(), 'request')} "
        f"({counts or 'none'}); the ledger holds {plural(len(box.ledger), 'accepted send')}."
    )


@app.command()
def sandbox(
    port: Annotated[
        int, typer.Option(min=1, max=65535, metavar="PORT", help="Port to listen on.")
    ] = 8000,
    host: Annotated[
        str, typer.Option(metavar="HOST", help="Address to bind (loopback by default).")
    ] = "127.0.0.1",
    latency: Annotated[
        float, typer.Option(min=0, metavar="SECONDS", help="Seconds added to every answer.")
    ] = 0.0,
    error_rate: Annotated[
        float,
        typer.Option(
            min=0,
            max=1,
            metavar="SHARE",
            help="Share of requests (0 to 1) answered 500, 502 or 503 before processing: "
            "nothing is sent or changed.",
        ),
    ] = 0.0,
    rate_limit_rate: Annotated[
        float,
        typer.Option(min=0, max=1, metavar="SHARE", help="Share answered 429 with Retry-After: 1."),
    ] = 0.0,
    lost_answer_rate: Annotated[
        float,
        typer.Option(
            min=0,
            max=1,
            metavar="SHARE",
            help="Share processed (sent, recorded) whose answer is then lost: the "
            "connection drops.",
        ),
    ] = 0.0,
    webhook_url: Annotated[
        str | None, typer.Option(metavar="URL", help=WEBHOOK_EVENTS_HELP)
    ] = None,
    seed: Annotated[int, typer.Option(metavar="N", help="Seed for data and faults.")] = 0,
) -> None:
    """Serve an in-memory Callsavvy API on HOST:PORT until Ctrl-C or SIGTERM.

    Point --base-url or CALLSAVVY_BASE_URL at http://HOST:PORT/v1 with the TEST keys.
    GET /_sandbox/ledger lists every accepted send and GET /_sandbox/requests counts the
    requests per resource; at exit the command prints those counts.
    """
    if webhook_url is not None:
        _webhook_url(webhook_url, "--webhook-url")
    box = Sandbox(seed=seed, webhook_target=webhook_url)
    if latency or error_rate or rate_limit_rate or lost_answer_rate:
        box.inject(
            latency=latency or None,
            server_error_rate=error_rate,
            rate_limit_rate=rate_limit_rate,
            lost_answer_rate=lost_answer_rate,
        )
    _check_listen(host, port)
    origin = f"http://{host}:{port}"
    console.print(f"Callsavvy sandbox on {escape(origin)}/v1  (Ctrl-C stops it)", highlight=False)
    console.print(f"  CALLSAVVY_BASE_URL={escape(origin)}/v1", highlight=False)
    console.print(f"  CALLSAVVY_PUBLIC_KEY={TEST_PUBLIC_KEY}", highlight=False)
    console.print(f"  CALLSAVVY_PRIVATE_KEY={TEST_PRIVATE_KEY}", highlight=False)
    console.print(
        f"  inspect: {escape(origin)}/_sandbox/ledger  {escape(origin)}/_sandbox/requests",
        highlight=False,
    )
    code = EXIT_OK
    try:
        with _stop_signals():
            serve(box, host=host, port=port)
    except _Stop as stop:
        code = exit_code_for_signal(stop.signum)
    except RuntimeError as exc:
        fail(str(exc), code=EXIT_USAGE)
    except SystemExit as exc:
        if exc.code:
            fail(f"the sandbox could not serve on {host}:{port}", code=EXIT_USAGE)
    console.print(_request_counts(box), highlight=False)
    raise typer.Exit(code)


def _check_listen(host: str, port: int) -> None:
    """Exit 2 if HOST:PORT cannot be bound (in use, or not a local address): uvicorn would
    log its own error and exit 3, which this command's exit codes reserve for refused keys."""
    try:
        socket.create_server((host, port)).close()
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", code=EXIT_USAGE)


def _overrides(items: list[str]) -> dict[str, str]:
    """--set key=value pairs; exit 2 for one without "=" or with an empty key."""
    overrides: dict[str, str] = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            fail(f"--set takes key=value, got {item!r}", code=EXIT_USAGE)
        overrides[key.strip()] = value
    return overrides


@app.command()
def trigger(
    event: Annotated[
        str, typer.Argument(metavar="EVENT", help=f"One of: {', '.join(EVENT_NAMES)}.")
    ],
    url: Annotated[str, typer.Option(metavar="URL", help="Your webhook URL.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE", help="Override a payload field (repeatable)."),
    ] = None,
) -> None:
    """Post a sample webhook event to URL and print the answer.

    Exits 0 on a 2xx answer, 3 when the token is refused (401 or 403), 1 otherwise; a
    redirect is reported with where to point the URL instead (Callsavvy does not follow it).
    """
    if event not in EVENT_NAMES:
        fail(f"unknown event {event!r}; choose one of: {', '.join(EVENT_NAMES)}", EXIT_USAGE)
    overrides = _overrides(set_ or [])
    where = _webhook_url(url, "--url").copy_with(query=None)

    async def job() -> httpx.Response:
        return await post_event(url, event, overrides)

    try:
        response = run(job)
    except httpx.HTTPError as exc:
        fail(f"could not post to {where}: {type(exc).__name__}")
    content_type = escape(response.headers.get("content-type", ""))
    console.print(f"HTTP {response.status_code} {content_type}", highlight=False)
    print(response.text)
    if response.is_redirect:
        fail(redirect_advice(response))
    if response.status_code in (401, 403):
        fail(f"the webhook refused the request (HTTP {response.status_code})", EXIT_AUTH)
    raise typer.Exit(EXIT_OK if response.is_success else EXIT_FAILED)


def _webhook_url(url: str, option: str) -> httpx.URL:
    """URL parsed, or exit 2: a malformed or non-HTTP URL is bad input, not a failed post."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        fail(f"{option} is not a valid URL: {exc}", code=EXIT_USAGE)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        fail(f"{option} must be an http:// or https:// URL with a host", code=EXIT_USAGE)
    return parsed
