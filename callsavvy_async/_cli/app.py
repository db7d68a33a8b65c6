"""The `callsavvy` Typer application: shared options and the read-only commands."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NoReturn, TypeVar

import anyio
import typer
from rich.console import Console
from rich.markup import escape

from callsavvy_async import embed as widgets
from callsavvy_async._cli import render
from callsavvy_async._client import AsyncCallsavvy
from callsavvy_async._errors import CallsavvyError, InvalidRequestError

__all__ = ["app", "fail", "make_client", "run"]

_T = TypeVar("_T")

app = typer.Typer(
    name="callsavvy",
    help="Callsavvy from the command line: reads, bulk sends, webhooks and a local sandbox.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

PublicKey = Annotated[
    str | None,
    typer.Option(
        "--public-key", envvar="CALLSAVVY_PUBLIC_KEY", show_envvar=True, help="API public key."
    ),
]
PrivateKey = Annotated[
    str | None,
    typer.Option(
        "--private-key",
        envvar="CALLSAVVY_PRIVATE_KEY",
        show_envvar=True,
        show_default=False,
        help="API private key (never printed).",
    ),
]
BaseUrl = Annotated[
    str | None,
    typer.Option("--base-url", envvar="CALLSAVVY_BASE_URL", show_envvar=True, help="API base URL."),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line to stderr and exit with `code`; the message is escaped because it
    quotes user input and server text, which Rich would otherwise read as markup."""
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def make_client(
    public_key: str | None, private_key: str | None, base_url: str | None, **options: Any
) -> AsyncCallsavvy:
    """A client from options or environment; exit 2 naming the variables when keys are
    missing, or with the client's reason when a key or the base URL is malformed."""
    if not public_key or not private_key:
        fail(
            "missing API keys: set CALLSAVVY_PUBLIC_KEY and CALLSAVVY_PRIVATE_KEY "
            "(or pass --public-key and --private-key)",
            code=2,
        )
    try:
        return AsyncCallsavvy(
            public_key=public_key, private_key=private_key, base_url=base_url, **options
        )
    except InvalidRequestError as exc:
        fail(str(exc), code=2)


def run(job: Callable[[], Awaitable[_T]]) -> _T:
    """Run a coroutine function, turning SDK errors into one-line messages and exit 1."""
    try:
        return anyio.run(job)
    except InvalidRequestError as exc:
        fail(str(exc), code=2)
    except CallsavvyError as exc:
        fail(str(exc))


class Listing(enum.StrEnum):
    departments = "departments"
    categories = "categories"
    agents = "agents"
    tickets = "tickets"
    calls = "calls"
    chats = "chats"
    messengers = "messengers"
    meetings = "meetings"
    contacts = "contacts"
    contact_groups = "contact-groups"


async def _fetch(cs: AsyncCallsavvy, what: Listing, period: str | None) -> list[Any]:
    readers: dict[Listing, Callable[[], Awaitable[list[Any]]]] = {
        Listing.departments: cs.departments.list,
        Listing.categories: cs.categories.list,
        Listing.agents: cs.agents.list,
        Listing.tickets: lambda: cs.tickets.list(period=period),
        Listing.calls: lambda: cs.calls.list(period=period),
        Listing.chats: lambda: cs.chats.list(period=period),
        Listing.messengers: lambda: cs.messengers.list(period=period),
        Listing.meetings: lambda: cs.meetings.list(period=period),
        Listing.contacts: cs.contacts.list,
        Listing.contact_groups: cs.contact_groups.list,
    }
    return await readers[what]()


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
    what: Annotated[Listing, typer.Argument(help="What to list.", show_default=False)],
    period: Annotated[
        str | None, typer.Option(help="YYYY-MM or YYYY-MM-DD (tickets, calls, chats, ...).")
    ] = None,
    public_key: PublicKey = None,
    private_key: PrivateKey = None,
    base_url: BaseUrl = None,
    json: Json = False,
) -> None:
    """List one kind of record: agents, tickets, calls, contacts, ..."""
    cs = make_client(public_key, private_key, base_url)

    async def job() -> list[Any]:
        async with cs:
            return await _fetch(cs, what, period)

    rows = run(job)
    if json:
        print(render.as_json(rows))
    else:
        console.print(render.table(what.value.replace("-", " ").capitalize(), rows))


class Widget(enum.StrEnum):
    call = "call"
    ticket = "ticket"
    chat = "chat"
    video = "video"
    calendar = "calendar"


@app.command("embed")
def embed_(
    widget: Annotated[Widget, typer.Argument(help="Which widget.", show_default=False)],
    color: Annotated[str, typer.Option(help="Theme colour name.")] = "green",
    department: Annotated[
        str, typer.Option(help="Department UID the call button queues to (call only).")
    ] = "",
    public_key: PublicKey = None,
) -> None:
    """Print the HTML snippet that embeds a Callsavvy widget in a page."""
    if not public_key:
        fail("missing public key: set CALLSAVVY_PUBLIC_KEY or pass --public-key", code=2)
    try:
        if widget is Widget.call:
            snippet = widgets.call_button(public_key, department_uid=department, color=color)
        else:
            snippet = widgets.WIDGETS[widget.value](public_key, color=color)
    except ValueError as exc:
        fail(str(exc), code=2)
    print(snippet, end="")
