"""Helpers shared by the command-line tests: the CLI as a process or in-process, a
sandbox served on 127.0.0.1 for synchronous tests, and reading the printed report."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio.from_thread
from typer.testing import CliRunner

from callsavvy_async._cli.main import app
from callsavvy_async.sandbox import TEST_PRIVATE_KEY, TEST_PUBLIC_KEY, Sandbox, serving

KEYS = {"CALLSAVVY_PUBLIC_KEY": TEST_PUBLIC_KEY, "CALLSAVVY_PRIVATE_KEY": TEST_PRIVATE_KEY}
runner = CliRunner()


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CALLSAVVY_")}
    return {**environment, **(extra or {})}


def callsavvy(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command as a real process, without the caller's CALLSAVVY_* variables."""
    return subprocess.run(
        [sys.executable, "-m", "callsavvy_async", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(env),
        check=False,
    )


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    """The command in-process (CliRunner), stdout and stderr kept apart."""
    return runner.invoke(app, list(args), env=env)


@contextmanager
def served_sandbox(sb: Sandbox | None = None) -> Iterator[tuple[Sandbox, dict[str, str]]]:
    """A sandbox served on 127.0.0.1 from a synchronous test, and the environment (keys
    and base URL) that points the command at it."""
    box = sb or Sandbox()
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(serving(box)) as base_url,
    ):
        yield box, {**KEYS, "CALLSAVVY_BASE_URL": base_url}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def report_rows(output: str) -> dict[str, str]:
    """The rows of a two-column table printed by the command."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) == 2 and cells[0]:
            rows[cells[0]] = cells[1]
    return rows


def assert_one_line_error(result: Any, code: int) -> None:
    """The CLI exited with `code` after one `error:` line, not a traceback."""
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.output.count("error:") == 1
