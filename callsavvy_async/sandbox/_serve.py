"""Serving a sandbox over HTTP with uvicorn (the `server` extra): in the foreground for
`callsavvy sandbox --port N`, or on a background thread for tests."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.to_thread

from callsavvy_async.sandbox._app import AnswerLost
from callsavvy_async.sandbox._sandbox import Sandbox

__all__ = ["serve", "serving"]


SHUTDOWN_GRACE = 3
"""Seconds open requests get to finish when the server stops."""


class _QuietLostAnswers(logging.Filter):
    """Drop uvicorn's traceback for answers the sandbox loses on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], AnswerLost))


_QUIET = _QuietLostAnswers()
logger = logging.getLogger("callsavvy_async.sandbox")


def _server(sandbox: Sandbox, host: str, port: int, log_level: str) -> Any:
    try:
        import uvicorn
    except ModuleNotFoundError:
        raise RuntimeError(
            "serving the sandbox needs uvicorn: pip install 'callsavvy-async[server]'"
        ) from None
    logging.getLogger("uvicorn.error").addFilter(_QUIET)
    config = uvicorn.Config(
        sandbox.app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=SHUTDOWN_GRACE,
    )
    return uvicorn.Server(config)


def serve(
    sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8000, *, log_level: str = "warning"
) -> None:
    """Serve `sandbox` at http://HOST:PORT/v1 until Ctrl-C or SIGTERM.

    Configure it first: `sandbox.inject(...)` for faults, `sandbox.webhook_target` for
    events. Each request is answered without logging (no access log) to stay fast.
    Ctrl-C is the normal way to stop: it returns once uvicorn has shut down.
    """
    with contextlib.suppress(KeyboardInterrupt):
        _server(sandbox, host, port, log_level).run()


@contextlib.asynccontextmanager
async def serving(
    sandbox: Sandbox,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    startup_timeout: float = 10.0,
    shutdown_timeout: float = 10.0,
) -> AsyncIterator[str]:
    """Serve `sandbox` on a background thread and yield its base URL; stop on exit.

    Port 0 picks a free port. The thread runs its own event loop, so this works under
    asyncio and trio alike.
    """
    server = _server(sandbox, host, port, "warning")
    thread = threading.Thread(target=server.run, name="callsavvy-sandbox", daemon=True)
    thread.start()
    try:
        with anyio.fail_after(startup_timeout):
            while not server.started:
                if not thread.is_alive():
                    raise RuntimeError(f"the sandbox server did not start on {host}:{port}")
                await anyio.sleep(0.01)
        bound_port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://{host}:{bound_port}/v1"
    finally:
        server.should_exit = True
        await anyio.to_thread.run_sync(thread.join, shutdown_timeout)
        if thread.is_alive():
            logger.warning("the sandbox server on %s did not stop in %ss", host, shutdown_timeout)
