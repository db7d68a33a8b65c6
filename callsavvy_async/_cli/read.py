"""`callsavvy summary` and `callsavvy list`: the read-only commands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer

from callsavvy_async._cli import render
from callsavvy_async._cli.app import BaseUrl, Json, PrivateKey, PublicKey, app, console, make_client
from callsavvy_async._cli.runner import EXIT_USAGE, fail, run
from callsavvy_async._client import AsyncCallsavvy

__all__ = ["LISTINGS", "PERIOD_LISTINGS", "list_", "summary"]

Reader = Callable[[AsyncCallsavvy, str | None], Awaitable[list[Any]]]

LISTINGS: dict[str, Reader] = {
    "departments": lambda cs, _: cs.departments.list(),
    "categories": lambda cs, _: cs.categories.list(),
    "agents": lambda cs, _: cs.agents.list(),
    "tickets": lambda cs, period: cs.tickets.list(period=period),
    "calls": lambda cs, period: cs.calls.list(period=period),
    "chats": lambda cs, period: cs.chats.list(period=period),
    "messengers": lambda cs, period: cs.messengers.list(period=period),
    "meetings": lambda cs, period: cs.meetings.list(period=period),
    "contacts": lambda cs, _: cs.contacts.list(),
    "contact-groups": lambda cs, _: cs.contact_groups.list(),
}
PERIOD_LISTINGS = ("tickets", "calls", "chats", "messengers", "meetings")


@app.command()
def summary(
    public_key: PublicKey = None,
    private_key: PrivateKey = None,
    base_url: BaseUrl = None,
    json: Json = False,
) -> None:
    """Show the account's number, status and balances."""
    cs = make_client(public_key, private_key, base_url)

    async def job() -> Any:
        async with cs:
            return await cs.account.summary()

    result = run(job)
    if json:
        print(render.as_json(result))
    else:
        console.print(render.pairs("Account summary", result))


@app.command("list")
def list_(
    what: Annotated[
        str,
        typer.Argument(
            metavar="WHAT",
            help=f"What to list: {', '.join(LISTINGS)}.",
            show_default=False,
        ),
    ],
    period: Annotated[
        str | None,
        typer.Option(
            metavar="PERIOD",
            help=f"YYYY-MM or YYYY-MM-DD; only for {', '.join(PERIOD_LISTINGS)}.",
        ),
    ] = None,
    public_key: PublicKey = None,
    private_key: PrivateKey = None,
    base_url: BaseUrl = None,
    json: Json = False,
) -> None:
    """List one kind of record: agents, tickets, calls, contacts, ..."""
    reader = LISTINGS.get(what)
    if reader is None:
        fail(f"cannot list {what!r}; choose one of: {', '.join(LISTINGS)}", code=EXIT_USAGE)
    if period is not None and what not in PERIOD_LISTINGS:
        fail(
            f"--period applies only to {', '.join(PERIOD_LISTINGS)}, not {what}",
            code=EXIT_USAGE,
        )
    cs = make_client(public_key, private_key, base_url)

    async def job() -> list[Any]:
        async with cs:
            return await reader(cs, period)

    rows = run(job)
    if json:
        print(render.as_json(rows))
    else:
        console.print(render.listing(what.replace("-", " "), rows, console.width))
