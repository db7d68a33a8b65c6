"""Progress of a bulk send on stderr: a Rich bar on a terminal (with the total, a
percentage and an ETA once the total is known), a plain line every few seconds otherwise.
Nothing is shown before the first batch settles."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from callsavvy_async._cli.report import plural

__all__ = ["LINE_INTERVAL", "SendProgress", "send_progress"]

LINE_INTERVAL = 2.0
"""Seconds between plain progress lines."""


class SendProgress:
    """The `on_progress` callback of a send; `total` is set once the recipients are counted."""

    def __init__(self, console: Console, interactive: bool) -> None:
        self._console = console
        self._interactive = interactive
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._started = time.monotonic()
        self._last_line = self._started
        self.total: int | None = None

    def set_total(self, total: int | None) -> None:
        self.total = total
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, total=total)

    def __call__(self, report: Any) -> None:
        if self._interactive:
            self._draw(report)
        else:
            self._line(report)

    def _draw(self, report: Any) -> None:
        if self._bar is None:
            self._bar = Progress(
                TextColumn("[bold]sending"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TextColumn("sent {task.fields[sent]}  failed {task.fields[failed]}"),
                TimeRemainingColumn(),
                console=self._console,
                transient=True,
            )
            self._task = self._bar.add_task("send", total=self.total, sent=0, failed=0)
            self._bar.start()
        assert self._task is not None
        sent = report.sent + report.queued
        self._bar.update(self._task, completed=report.total, sent=sent, failed=report.failed)

    def _line(self, report: Any) -> None:
        now = time.monotonic()
        if now - self._last_line < LINE_INTERVAL:
            return
        self._last_line = now
        done = report.total
        if self.total:
            share = min(done / self.total, 1.0)
            left = (now - self._started) * (1 - share) / share if share else 0.0
            head = (
                f"{done:,} of {plural(self.total, 'recipient')} "
                f"({share:.0%}, about {left:.0f} s left)"
            )
        else:
            head = f"{plural(done, 'recipient')} done"
        sent = report.sent + report.queued
        self._console.print(
            f"progress: {head}: {sent:,} sent, {report.failed:,} failed",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


@contextmanager
def send_progress(console: Console, interactive: bool) -> Iterator[SendProgress]:
    progress = SendProgress(console, interactive)
    try:
        yield progress
    finally:
        progress.close()
