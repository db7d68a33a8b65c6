"""The apps the webhook benchmark serves: ours, a bare ASGI app doing the same parse and
answer, one Starlette route, and one FastAPI route with a pydantic model of the payload
(what most users would write instead)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from callsavvy_async.webhooks import CallSummary, WebhookApp

ours = WebhookApp()


@ours.on(CallSummary)
async def _summary(event: CallSummary) -> None:
    return None


_OK = b'{"status":"success"}'
_HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"20")]


async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Read the body, parse the JSON, check the event, answer 200."""
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    payload = json.loads(body)
    status = 200 if payload.get("event") and payload.get("caller_number") else 422
    await send({"type": "http.response.start", "status": status, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _OK})


async def _route(request: Request) -> JSONResponse:
    payload = await request.json()
    status = 200 if payload.get("event") and payload.get("caller_number") else 422
    return JSONResponse({"status": "success"}, status_code=status)


starlette = Starlette(routes=[Route("/", _route, methods=["POST"])])


class _CallSummaryBody(BaseModel):
    event: str
    caller_number: str
    call_direction: str | None = None
    call_department: str | None = None
    recording_url: str | None = None
    call_duration: int | None = None
    call_status: str | None = None


fastapi = FastAPI()


@fastapi.post("/")
async def _fastapi_route(payload: _CallSummaryBody) -> dict[str, str]:
    return {"status": "success"}
