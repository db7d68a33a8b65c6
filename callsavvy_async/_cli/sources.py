"""Where a send's recipients come from (--recipients-file or --to), checked before any
client or journal is made, and counted for the progress bar."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import anyio

from callsavvy_async._cli.runner import EXIT_USAGE, fail
from callsavvy_async._errors import InvalidRequestError
from callsavvy_async.recipients import iter_recipients

__all__ = ["count_recipients", "recipients_source"]


def recipients_source(recipients_file: Path | None, to: str | None) -> Any:
    """The recipients source: a readable file path or the --to list, holding at least one
    recipient (exit 2 otherwise). A pipe is not read ahead, as what is read from it is gone."""
    if (recipients_file is None) == (to is None):
        fail("give exactly one of --recipients-file and --to", code=EXIT_USAGE)
    if to is not None:
        _require_recipients(to, "--to has no numbers")
        return to
    assert recipients_file is not None
    try:
        recipients_file.open("rb").close()
    except OSError as exc:
        fail(f"cannot read recipients file {recipients_file}: {exc.strerror}", code=EXIT_USAGE)
    if recipients_file.is_file():
        _require_recipients(
            recipients_file,
            f"recipients file {recipients_file} is empty (no numbers, only blank lines or a "
            "header)",
        )
    return recipients_file


def _require_recipients(source: Any, empty: str) -> None:
    """Exit 2 with `empty` unless `source` yields a recipient: an empty list is bad input,
    not a send of nothing. Reads only up to the first recipient."""

    async def first() -> bool:
        async for _ in iter_recipients(source):
            return True
        return False

    try:
        found = anyio.run(first)
    except InvalidRequestError as exc:
        fail(str(exc), code=EXIT_USAGE)
    if not found:
        fail(empty, code=EXIT_USAGE)


async def count_recipients(source: Any) -> int | None:
    """How many recipients `source` holds, read as the send will read it; None for a pipe
    (it can be read only once) or a file that turns out unreadable (the send reports why)."""
    if isinstance(source, Path) and not source.is_file():
        return None
    count = 0
    with contextlib.suppress(InvalidRequestError, OSError):
        async for _ in iter_recipients(source):
            count += 1
        return count
    return None
