"""The `callsavvy` Typer application, its global options and the options commands share."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from callsavvy_async._cli.runner import EXIT_USAGE, fail
from callsavvy_async._client import AsyncCallsavvy
from callsavvy_async._errors import InvalidRequestError
from callsavvy_async._version import __version__

__all__ = ["BaseUrl", "Json", "PrivateKey", "PublicKey", "app", "console", "make_client"]

app = typer.Typer(
    name="callsavvy",
    help=(
        "Callsavvy from the command line: reads, bulk sends, webhooks and a local sandbox.\n\n"
        "Exit codes: 0 done; 1 some recipients failed or are unknown, nothing could be sent, "
        "or an API error; 2 bad usage; 3 keys refused; 130 Ctrl-C; 143 SIGTERM."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console()


def _print_version(value: bool) -> None:
    if value:
        print(f"callsavvy {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Callsavvy from the command line."""


PublicKey = Annotated[
    str | None,
    typer.Option(
        "--public-key",
        envvar="CALLSAVVY_PUBLIC_KEY",
        show_envvar=True,
        metavar="KEY",
        help="API public key.",
    ),
]
PrivateKey = Annotated[
    str | None,
    typer.Option(
        "--private-key",
        envvar="CALLSAVVY_PRIVATE_KEY",
        show_envvar=True,
        show_default=False,
        metavar="KEY",
        help="API private key (never printed).",
    ),
]
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        envvar="CALLSAVVY_BASE_URL",
        show_envvar=True,
        metavar="URL",
        help="API base URL.",
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def make_client(
    public_key: str | None, private_key: str | None, base_url: str | None, **options: Any
) -> AsyncCallsavvy:
    """A client from options or environment; exit 2 naming the variables when keys are
    missing, or with the client's reason when a key or the base URL is malformed."""
    if not public_key or not private_key:
        fail(
            "missing API keys: set CALLSAVVY_PUBLIC_KEY and CALLSAVVY_PRIVATE_KEY "
            "(or pass --public-key and --private-key)",
            code=EXIT_USAGE,
        )
    try:
        return AsyncCallsavvy(
            public_key=public_key, private_key=private_key, base_url=base_url, **options
        )
    except InvalidRequestError as exc:
        fail(str(exc), code=EXIT_USAGE)
