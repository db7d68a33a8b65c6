"""`callsavvy sandbox` (serve the sandbox on loopback) and `callsavvy trigger` (post a
sample webhook event to a URL)."""

from __future__ import annotations

import socket
from typing import Annotated

import anyio
import httpx
import typer
from rich.console import Console
from rich.markup import escape

from callsavvy_async._cli.app import app, fail
from callsavvy_async._samples import EVENT_NAMES
from callsavvy_async.sandbox import TEST_PRIVATE_KEY, TEST_PUBLIC_KEY, Sandbox, serve
from callsavvy_async.sandbox._emitter import post_event

__all__ = ["sandbox", "trigger"]

console = Console()


@app.command()
def sandbox(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    latency: Annotated[float, typer.Option(min=0, help="Seconds added to every answer.")] = 0.0,
    error_rate: Annotated[float, typer.Option(min=0, max=1, help="Share of 503 answers.")] = 0.0,
    rate_limit_rate: Annotated[
        float, typer.Option(min=0, max=1, help="Share of 429 answers.")
    ] = 0.0,
    lost_answer_rate: Annotated[
        float, typer.Option(min=0, max=1, help="Share processed but never answered.")
    ] = 0.0,
    webhook_url: Annotated[
        str | None, typer.Option(help="Fire newTicketOpened there when tickets open.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for data and faults.")] = 0,
) -> None:
    """Serve an in-memory Callsavvy API until Ctrl-C; point --base-url or
    CALLSAVVY_BASE_URL at it with the TEST keys."""
    box = Sandbox(seed=seed, webhook_target=webhook_url)
    if latency or error_rate or rate_limit_rate or lost_answer_rate:
        box.inject(
            latency=latency or None,
            server_error_rate=error_rate,
            rate_limit_rate=rate_limit_rate,
            lost_answer_rate=lost_answer_rate,
        )
    _check_listen(host, port)
    address = escape(f"http://{host}:{port}/v1")
    console.print(f"Callsavvy sandbox on {address}  (Ctrl-C stops it)")
    console.print(f"  CALLSAVVY_BASE_URL={address}", highlight=False)
    console.print(f"  CALLSAVVY_PUBLIC_KEY={TEST_PUBLIC_KEY}", highlight=False)
    console.print(f"  CALLSAVVY_PRIVATE_KEY={TEST_PRIVATE_KEY}", highlight=False)
    try:
        serve(box, host=host, port=port)
    except RuntimeError as exc:
        fail(str(exc), code=2)
    except SystemExit as exc:
        if exc.code:
            fail(f"the sandbox could not serve on {host}:{port}", code=2)


def _check_listen(host: str, port: int) -> None:
    """Exit 2 if HOST:PORT cannot be bound (in use, or not a local address): uvicorn would
    log its own error and exit 3, which this command's exit codes reserve for refused keys."""
    try:
        socket.create_server((host, port)).close()
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", code=2)


@app.command()
def trigger(
    event: Annotated[str, typer.Argument(help=f"One of: {', '.join(EVENT_NAMES)}.")],
    url: Annotated[str, typer.Option(help="Your webhook URL.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a payload field: key=value (repeatable)."),
    ] = None,
) -> None:
    """Post a sample webhook event to URL and print the answer."""
    if event not in EVENT_NAMES:
        fail(f"unknown event {event!r}; choose one of {', '.join(EVENT_NAMES)}", code=2)
    overrides = dict(item.split("=", 1) for item in set_ or () if "=" in item)
    where = _webhook_url(url).copy_with(query=None)

    async def job() -> httpx.Response:
        return await post_event(url, event, overrides)

    try:
        response = anyio.run(job)
    except httpx.HTTPError as exc:
        fail(f"could not post to {where}: {type(exc).__name__}")
    content_type = escape(response.headers.get("content-type", ""))
    console.print(f"HTTP {response.status_code} {content_type}", highlight=False)
    print(response.text)
    raise typer.Exit(0 if response.is_success else 1)


def _webhook_url(url: str) -> httpx.URL:
    """URL parsed, or exit 2: a malformed or non-HTTP URL is bad input, not a failed post."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        fail(f"--url is not a valid URL: {exc}", code=2)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        fail("--url must be an http:// or https:// URL with a host", code=2)
    return parsed
