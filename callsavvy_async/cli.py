"""The `callsavvy` command; its commands live in `_cli` and need the `cli` extra."""

from __future__ import annotations

import sys

__all__ = ["main"]

_CLI_PACKAGES = frozenset({"typer", "click", "rich"})


def main() -> None:
    """Run the command line, or explain how to install it when the `cli` extra is missing."""
    try:
        from callsavvy_async._cli.main import app
    except ModuleNotFoundError as exc:
        if exc.name not in _CLI_PACKAGES:
            raise
        print(
            "callsavvy: the command line needs the cli extra: pip install 'callsavvy-async[cli]'",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    app()
