"""WebhookApp under real servers (uvicorn, hypercorn on 127.0.0.1) and mounted in
Starlette, FastAPI and Litestar."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
from fastapi import FastAPI
from litestar import Litestar, asgi
from starlette.applications import Starlette
from starlette.routing import Mount

from callsavvy_async.testing import post_event, sample_body
from callsavvy_async.webhooks import CallerInfoReply, CallerInformation, CallSummary, WebhookApp

pytestmark = pytest.mark.anyio


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def post_when_up(port: int, event: str = "callSummary") -> httpx.Response:
    """POST a sample event to a server that may still be starting (bounded retries)."""
    content_type, body = sample_body(event)
    async with httpx.AsyncClient(timeout=5) as http:
        for _ in range(200):
            try:
                return await http.post(
                    f"http://127.0.0.1:{port}/",
                    content=body,
                    headers={"content-type": content_type},
                )
            except httpx.ConnectError:
                await anyio.sleep(0.05)
    raise AssertionError(f"nothing listened on port {port}")


@contextlib.asynccontextmanager
async def uvicorn_server(app: Any) -> AsyncIterator[tuple[str, Any]]:
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(server.serve)
        with anyio.fail_after(10):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers only this flag
                await anyio.sleep(0.01)
        yield f"http://127.0.0.1:{port}", server
        server.should_exit = True


def releasing_at_shutdown(app: Any, release: anyio.Event) -> Any:
    """`app`, with `release` set as the server's lifespan.shutdown reaches it: handlers
    blocked on `release` finish only if the shutdown waits for them."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        async def watched() -> Any:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                release.set()
            return message

        await app(scope, watched if scope["type"] == "lifespan" else receive, send)

    return wrapped


async def test_uvicorn_shutdown_waits_for_50_pending_handlers() -> None:
    dropped: list[object] = []
    app = WebhookApp(shutdown_timeout=10, on_dropped=dropped.append)
    release = anyio.Event()
    handled: list[str] = []

    @app.on(CallSummary)
    async def slow(event: CallSummary) -> None:
        await release.wait()
        await anyio.lowlevel.checkpoint()  # cancelled here unless the shutdown waits
        handled.append(event.caller_number)

    content_type, _ = sample_body("callSummary")
    async with uvicorn_server(releasing_at_shutdown(app, release)) as (url, server):
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            with anyio.fail_after(5):
                for n in range(50):
                    _, body = sample_body("callSummary", caller_number=f"+44790000{n:04d}")
                    response = await http.post(
                        "/", content=body, headers={"content-type": content_type}
                    )
                    assert response.status_code == 200
        assert handled == []
        server.should_exit = True
    assert sorted(handled) == sorted(f"+44790000{n:04d}" for n in range(50))
    assert dropped == []


async def test_uvicorn_answers_caller_information_over_a_socket() -> None:
    app = WebhookApp(token="tok")
    app.on(CallerInformation)(lambda e: CallerInfoReply(caller_name=f"Caller {e.caller_number}"))
    content_type, body = sample_body("callerInformation")
    async with uvicorn_server(app) as (url, _), httpx.AsyncClient(base_url=url) as http:
        ok = await http.post("/?token=tok", content=body, headers={"content-type": content_type})
        refused = await http.post("/", content=body, headers={"content-type": content_type})
        huge = await http.post("/?token=tok", content=b"{" + b" " * 100_000 + b"}")
    assert ok.json()["caller_name"] == "Caller +447989987123"
    assert refused.status_code == 401
    assert huge.status_code == 413


async def test_hypercorn_serves_it() -> None:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    app = WebhookApp()
    seen: list[CallSummary] = []
    app.on(CallSummary)(seen.append)
    port = free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.loglevel = "WARNING"
    stop = anyio.Event()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(lambda: serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
        response = await post_when_up(port)
        stop.set()
    assert response.status_code == 200
    assert [e.caller_number for e in seen] == ["+447989987123"]


def mounted_in_starlette(webhooks: WebhookApp, at_shutdown: anyio.Event | None = None) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with webhooks:
            yield
            if at_shutdown is not None:
                at_shutdown.set()

    return Starlette(routes=[Mount("/hooks", app=webhooks)], lifespan=lifespan)


def mounted_in_fastapi(webhooks: WebhookApp, at_shutdown: anyio.Event | None = None) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with webhooks:
            yield
            if at_shutdown is not None:
                at_shutdown.set()

    api = FastAPI(lifespan=lifespan)
    api.mount("/hooks", webhooks)
    return api


def mounted_in_litestar(webhooks: WebhookApp, at_shutdown: anyio.Event | None = None) -> Litestar:
    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with webhooks:
            yield
            if at_shutdown is not None:
                at_shutdown.set()

    @asgi("/hooks", is_mount=True, copy_scope=True)
    async def hooks(scope: Any, receive: Any, send: Any) -> None:
        await webhooks(scope, receive, send)

    # logging_config=None: Litestar would otherwise add a root handler for the whole session
    return Litestar(route_handlers=[hooks], lifespan=[lifespan], logging_config=None)


HOSTS = [mounted_in_starlette, mounted_in_fastapi, mounted_in_litestar]


@pytest.mark.parametrize("host", HOSTS)
async def test_mounted_with_async_with_lifespan(host: Any) -> None:
    webhooks = WebhookApp()
    release = anyio.Event()
    handled: list[str] = []

    @webhooks.on(CallSummary)
    async def slow(event: CallSummary) -> None:
        await release.wait()
        await anyio.lowlevel.checkpoint()  # cancelled here unless the shutdown waits
        handled.append(event.caller_number)

    webhooks.on(CallerInformation)(lambda e: CallerInfoReply(caller_name="Mounted"))
    async with uvicorn_server(host(webhooks, release)) as (url, server):
        async with httpx.AsyncClient(base_url=url) as http:
            content_type, body = sample_body("callSummary")
            for _ in range(5):
                summary = await http.post(
                    "/hooks/", content=body, headers={"content-type": content_type}
                )
                assert summary.status_code == 200
            content_type, body = sample_body("callerInformation")
            caller = await http.post(
                "/hooks/", content=body, headers={"content-type": content_type}
            )
        assert handled == []
        server.should_exit = True
    assert caller.json()["caller_name"] == "Mounted"
    assert len(handled) == 5


@pytest.mark.parametrize("host", HOSTS)
async def test_mounted_without_lifespan_runs_inline(host: Any) -> None:
    webhooks = WebhookApp()
    handled: list[str] = []
    webhooks.on(CallSummary)(lambda e: handled.append(e.caller_number))
    response = await post_event(host(webhooks), "callSummary", path="/hooks/")
    assert response.status_code == 200
    assert handled == ["+447989987123"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_hypercorn_on_trio_serves_it() -> None:
    """anyio_backend is asyncio in this module; run hypercorn's trio worker in its own loop."""
    import trio
    from hypercorn.config import Config
    from hypercorn.trio import serve

    app = WebhookApp()
    seen: list[CallSummary] = []
    app.on(CallSummary)(seen.append)
    port = free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.loglevel = "WARNING"

    async def scenario() -> int:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(serve, app, config)  # type: ignore[arg-type]
            response = await post_when_up(port)
            nursery.cancel_scope.cancel()
        return response.status_code

    status = await anyio.to_thread.run_sync(trio.run, scenario)
    assert status == 200
    assert [e.caller_number for e in seen] == ["+447989987123"]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_behind_middleware_that_wraps_receive_in_a_task_group(backend: str) -> None:
    """Starlette's BaseHTTPMiddleware runs the app in a task group and wraps `receive` in
    one: the app's own limits must nest with those scopes on both backends."""
    from starlette.middleware import Middleware
    from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
    from starlette.requests import Request
    from starlette.responses import Response

    class Passthrough(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
            return await call_next(request)

    webhooks = WebhookApp(caller_info_timeout=0.05)
    handled: list[str] = []
    webhooks.on(CallSummary)(lambda e: handled.append(e.caller_number))

    @webhooks.on(CallerInformation)
    async def who(event: CallerInformation) -> CallerInfoReply:
        await anyio.sleep_forever()
        return CallerInfoReply(caller_name="too late")

    host = Starlette(routes=[Mount("/hooks", webhooks)], middleware=[Middleware(Passthrough)])

    async def scenario() -> tuple[int, str]:
        with anyio.fail_after(5):
            summary = await post_event(host, "callSummary", path="/hooks/")
            caller = await post_event(host, "callerInformation", path="/hooks/")
        return summary.status_code, caller.json()["caller_name"]

    assert anyio.run(scenario, backend=backend) == (200, "")
    assert handled == ["+447989987123"]
