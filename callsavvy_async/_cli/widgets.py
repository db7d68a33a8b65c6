"""`callsavvy embed`: the HTML snippet of a Callsavvy widget."""

from __future__ import annotations

from typing import Annotated

import typer

from callsavvy_async import embed as widgets
from callsavvy_async._cli.app import PublicKey, app
from callsavvy_async._cli.runner import EXIT_USAGE, fail

__all__ = ["embed_"]


@app.command("embed")
def embed_(
    widget: Annotated[
        str,
        typer.Argument(
            metavar="WIDGET",
            help=f"Which widget: {', '.join(widgets.WIDGETS)}.",
            show_default=False,
        ),
    ],
    color: Annotated[
        str,
        typer.Option(metavar="COLOUR", help=f"Theme colour: {', '.join(widgets.THEME_COLOURS)}."),
    ] = "green",
    department: Annotated[
        str | None,
        typer.Option(metavar="UID", help="Department UID the call button queues to (call only)."),
    ] = None,
    public_key: PublicKey = None,
) -> None:
    """Print the HTML snippet that embeds a Callsavvy widget in a page."""
    build = widgets.WIDGETS.get(widget)
    if build is None:
        fail(f"unknown widget {widget!r}; choose one of: {', '.join(widgets.WIDGETS)}", EXIT_USAGE)
    if color not in widgets.THEME_COLOURS:
        fail(
            f"unknown colour {color!r}; choose one of: {', '.join(widgets.THEME_COLOURS)}",
            code=EXIT_USAGE,
        )
    if department is not None and widget != "call":
        fail(f"--department applies only to the call widget, not {widget}", code=EXIT_USAGE)
    if not public_key:
        fail("missing public key: set CALLSAVVY_PUBLIC_KEY or pass --public-key", EXIT_USAGE)
    try:
        if widget == "call":
            snippet = widgets.call_button(public_key, department_uid=department or "", color=color)
        else:
            snippet = build(public_key, color=color)
    except ValueError as exc:
        fail(str(exc), code=EXIT_USAGE)
    print(snippet, end="")
