"""Worker processes for the distributed tests: `callsavvy worker`, each in its own
process group (so a kill reaches all of it), stopped with os.killpg."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from callsavvy_async.sandbox import TEST_PRIVATE_KEY, TEST_PUBLIC_KEY

ROOT = Path(__file__).resolve().parent.parent
HEARTBEAT = "1"


def environment(base_url: str) -> dict[str, str]:
    return dict(
        os.environ,
        CALLSAVVY_PUBLIC_KEY=TEST_PUBLIC_KEY,
        CALLSAVVY_PRIVATE_KEY=TEST_PRIVATE_KEY,
        CALLSAVVY_BASE_URL=base_url,
    )


def start_worker(
    broker: str, base_url: str, concurrency: int = 4, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """A worker whose log (stderr) goes to `log`."""
    command = [
        sys.executable, "-m", "callsavvy_async", "worker", "--broker", broker,
        "--concurrency", str(concurrency), "--heartbeat", HEARTBEAT,
    ]  # fmt: skip
    with open(log or os.devnull, "ab") as errors:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment(base_url),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )


def kill(process: subprocess.Popen[bytes], signum: int = signal.SIGKILL) -> int:
    """Signal the worker's whole process group and wait for it; its exit code."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
    return process.wait(timeout=30)


@contextmanager
def workers(
    broker: str, base_url: str, count: int, concurrency: int = 4, logs: Path | None = None
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` workers, killed (all of each group) when the block ends; if it fails, the
    end of each worker's log goes to stderr (pytest shows it with the failure)."""
    started = [
        start_worker(broker, base_url, concurrency, logs / f"worker{n}.log" if logs else None)
        for n in range(count)
    ]
    try:
        yield started
    except BaseException:
        for log in sorted(logs.glob("worker*.log")) if logs else ():
            sys.stderr.write(f"--- {log.name} (last lines)\n")
            sys.stderr.write("\n".join(log.read_text().splitlines()[-40:]) + "\n")
        raise
    finally:
        for process in started:
            if process.poll() is None:
                kill(process)
