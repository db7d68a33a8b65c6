"""The in-process link from an httpx client to the sandbox app: no sockets, and a lost
answer surfaces as the httpx error a real network gives."""

from __future__ import annotations

import httpx

from callsavvy_async._asgi import ASGIApp, Receive, Scope, Send
from callsavvy_async._transport._streams import ClosingBody
from callsavvy_async.sandbox._app import IN_PROCESS, AnswerLost

__all__ = ["InProcessTransport"]


class InProcessTransport(httpx.AsyncBaseTransport):
    """httpx.ASGITransport to the sandbox app, mapping AnswerLost to RemoteProtocolError
    (dropped connection) or ReadTimeout."""

    def __init__(self, app: ASGIApp) -> None:
        async def marked(scope: Scope, receive: Receive, send: Send) -> None:
            scope[IN_PROCESS] = True
            await app(scope, receive, send)

        self._asgi = httpx.ASGITransport(app=marked)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        sent = ClosingBody(request.stream)
        own = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            stream=sent,
            extensions=request.extensions,
        )
        try:
            return await self._asgi.handle_async_request(own)
        except AnswerLost as lost:
            raise _network_error(lost, request) from None
        finally:
            await sent.aclose()

    async def aclose(self) -> None:
        await self._asgi.aclose()


def _network_error(lost: AnswerLost, request: httpx.Request) -> httpx.TransportError:
    if lost.kind == "timeout":
        return httpx.ReadTimeout("no answer in time (sandbox: lost answer)", request=request)
    return httpx.RemoteProtocolError(
        "Server disconnected without sending a response (sandbox: lost answer)", request=request
    )
