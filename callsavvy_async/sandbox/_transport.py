"""The in-process link between an SDK client and the sandbox app: no sockets, and a lost
answer surfaces as the httpx error a real network would give."""

from __future__ import annotations

from typing import Any

import httpx

from callsavvy_async.sandbox._app import IN_PROCESS, AnswerLost, Receive, SandboxApp, Scope, Send

__all__ = ["InProcessTransport"]


class _MarkInProcess:
    """Tell the sandbox app its caller is in this process."""

    def __init__(self, app: SandboxApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app({**scope, IN_PROCESS: True}, receive, send)


class InProcessTransport(httpx.AsyncBaseTransport):
    """httpx.ASGITransport to the sandbox, mapping lost answers to transport errors."""

    def __init__(self, app: SandboxApp) -> None:
        self._asgi = httpx.ASGITransport(app=_MarkInProcess(app))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._asgi.handle_async_request(request)
        except AnswerLost as lost:
            raise _lost_answer_error(lost.kind, request) from None

    async def aclose(self) -> None:
        await self._asgi.aclose()


def _lost_answer_error(kind: str, request: httpx.Request) -> Any:
    if kind == "timeout":
        return httpx.ReadTimeout("the sandbox kept the answer (injected)", request=request)
    return httpx.RemoteProtocolError(
        "Server disconnected without sending a response (injected)", request=request
    )
