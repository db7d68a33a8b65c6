"""Callsavvy's webhooks mounted in a FastAPI app, with the API client in its lifespan.

    export CALLSAVVY_PUBLIC_KEY=... CALLSAVVY_PRIVATE_KEY=... CALLSAVVY_WEBHOOK_TOKEN=...
    uvicorn examples.fastapi_webhooks:api      # or: python examples/fastapi_webhooks.py

Point Callsavvy at https://you.example/hooks?token=TOKEN. A ringing call is answered
with the caller's contact, a new ticket gets an acknowledgement (after the webhook's
answer: background handlers finish at shutdown), and the chatbot gets opening hours.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import AsyncIterator

from fastapi import FastAPI

from callsavvy_async import AsyncCallsavvy
from callsavvy_async.webhooks import (
    CallerInfoReply,
    CallerInformation,
    ChatbotCallback,
    NewTicketOpened,
    WebhookApp,
)

cs = AsyncCallsavvy()  # keys and base URL from CALLSAVVY_* variables
webhooks = WebhookApp(token=os.environ["CALLSAVVY_WEBHOOK_TOKEN"])


@webhooks.on(CallerInformation)
async def who_is_calling(event: CallerInformation) -> CallerInfoReply:
    for contact in await cs.contacts.list():
        if contact.phone and contact.phone == event.caller_e164:
            return CallerInfoReply(caller_name=contact.name or "", caller_email=contact.email or "")
    return CallerInfoReply()


@webhooks.on(NewTicketOpened)
async def acknowledge(event: NewTicketOpened) -> None:
    await cs.tickets.reply(event.ticket_id, message="Thanks: we will answer within a day.")


@webhooks.on(ChatbotCallback)
async def opening_hours(event: ChatbotCallback) -> str:
    return "<p>We are open 9am to 5pm, Monday to Friday.</p>"


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with cs, webhooks:  # closes the pool; lets background handlers finish
        yield


api = FastAPI(lifespan=lifespan)
api.mount("/hooks", webhooks)


@api.get("/health")
async def health() -> dict[str, bool]:
    return {"ok": True}


if __name__ == "__main__":
    import uvicorn

    parser = argparse.ArgumentParser(description="Serve the app on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8080)
    uvicorn.run(api, host="127.0.0.1", port=parser.parse_args().port)
