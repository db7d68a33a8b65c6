"""Exit codes, one-line errors, and running a command's coroutine so that Ctrl-C and
SIGTERM stop it gracefully: the job is cancelled (a bulk send stops taking batches and
lets those in flight settle), then the command exits 130 or 143."""

from __future__ import annotations

import signal
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import anyio
import anyio.abc
import typer
from rich.console import Console
from rich.markup import escape

from callsavvy_async._errors import AuthenticationError, CallsavvyError, InvalidRequestError

__all__ = [
    "EXIT_AUTH",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "errors",
    "exit_code_for_signal",
    "fail",
    "note",
    "run",
    "run_job",
    "stopped",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

_T = TypeVar("_T")
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name)
)

errors = Console(stderr=True)


def exit_code_for_signal(signum: int) -> int:
    """130 for Ctrl-C, 143 for SIGTERM: 128 plus the signal's number, as shells report."""
    return EXIT_TERMINATED if signum == getattr(signal, "SIGTERM", None) else EXIT_INTERRUPTED


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Print one line to stderr and exit with `code`; the message is escaped because it
    quotes user input and server text, which Rich would otherwise read as markup."""
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def note(message: str) -> None:
    """A status line on stderr (never on stdout, which may be a JSON document)."""
    errors.print(escape(message), highlight=False, soft_wrap=True)


async def _stop_on_signal(
    scope: anyio.CancelScope,
    received: list[int],
    *,
    task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Cancel `scope` at the first Ctrl-C or SIGTERM. The handlers are removed then, so a
    second Ctrl-C stops the process at once."""
    with anyio.open_signal_receiver(*_STOP_SIGNALS) as signals:
        task_status.started()
        async for signum in signals:
            received.append(signum)
            scope.cancel()
            return


def _single(error: Exception) -> Exception:
    """The one error inside (nested) single-error groups, as the job's own task groups
    wrap it; any other error as it is."""
    while isinstance(error, ExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


def _run_stoppable(job: Callable[[], Awaitable[_T]]) -> tuple[list[_T], list[int]]:
    results: list[_T] = []
    received: list[int] = []
    failures: list[Exception] = []

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            if _STOP_SIGNALS:
                await tasks.start(_stop_on_signal, tasks.cancel_scope, received)
            try:
                results.append(await job())
            except Exception as exc:
                failures.append(_single(exc))
            finally:
                tasks.cancel_scope.cancel()

    try:
        anyio.run(main)
    except KeyboardInterrupt:
        received.append(signal.SIGINT)
    except BaseExceptionGroup as group:
        if group.subgroup(KeyboardInterrupt) is None:
            raise
        received.append(signal.SIGINT)
    if failures:
        raise failures[0]
    return results, received


def run_job(job: Callable[[], Awaitable[_T]]) -> tuple[_T | None, int | None]:
    """Run a coroutine function; return its result, or None and the signal that stopped
    it (Ctrl-C or SIGTERM cancel the job and wait for it to settle).

    SDK errors become one-line messages: bad arguments exit 2, refused keys 3, any other
    API or connection error 1.
    """
    try:
        results, received = _run_stoppable(job)
    except AuthenticationError as exc:
        fail(str(exc), code=EXIT_AUTH)
    except InvalidRequestError as exc:
        fail(str(exc), code=EXIT_USAGE)
    except CallsavvyError as exc:
        fail(str(exc))
    if received or not results:
        return None, received[0] if received else signal.SIGINT
    return results[0], None


def run(job: Callable[[], Awaitable[_T]]) -> _T:
    """Like `run_job`, exiting 130 or 143 when a signal stopped the job."""
    result, signum = run_job(job)
    if signum is not None:
        stopped(signum)
    return result  # type: ignore[return-value]


def stopped(signum: int, what: str = "stopped before finishing") -> NoReturn:
    """Report a Ctrl-C or SIGTERM on stderr and exit 130 or 143."""
    code = exit_code_for_signal(signum)
    name = "interrupted" if code == EXIT_INTERRUPTED else "terminated (SIGTERM)"
    note(f"{name}: {what}")
    raise typer.Exit(code)
