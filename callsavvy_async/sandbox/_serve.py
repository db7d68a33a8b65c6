"""Serving a sandbox over HTTP on loopback with uvicorn (the `server` extra)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

from callsavvy_async.sandbox._sandbox import Sandbox

__all__ = ["serve", "serving"]


def _server(sandbox: Sandbox, host: str, port: int, log_level: str) -> Any:
    try:
        import uvicorn
    except ModuleNotFoundError:
        raise RuntimeError(
            "serving the sandbox needs uvicorn: pip install 'callsavvy-async[server]'"
        ) from None
    config = uvicorn.Config(sandbox.app, host=host, port=port, log_level=log_level, lifespan="on")
    return uvicorn.Server(config)


def serve(
    sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8000, log_level: str = "warning"
) -> None:
    """Serve `sandbox` until interrupted (Ctrl-C); the base URL is http://HOST:PORT/v1."""
    _server(sandbox, host, port, log_level).run()


@asynccontextmanager
async def serving(
    sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0, startup_timeout: float = 10.0
) -> AsyncIterator[str]:
    """Serve `sandbox` in the background (asyncio) and yield its base URL; stop on exit."""
    server = _server(sandbox, host, port, "warning")
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(server.serve)
        with anyio.fail_after(startup_timeout):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers only this flag
                await anyio.sleep(0.01)
        bound_port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield f"http://{host}:{bound_port}/v1"
        finally:
            server.should_exit = True
