"""An in-memory fake of the whole Callsavvy API, for tests, demos and experiments.

    sb = Sandbox()
    async with sb.client() as cs:
        await cs.whatsapp.send("uid", "+447700900123", "hi")
    assert sb.ledger[0].recipient == "+447700900123"

`serve()` / `serving()` put it on a loopback port (needs uvicorn, the `server` extra).
"""

from callsavvy_async.sandbox._emitter import Target
from callsavvy_async.sandbox._faults import FaultPlan
from callsavvy_async.sandbox._ledger import LedgerEntry
from callsavvy_async.sandbox._payloads import EVENT_NAMES
from callsavvy_async.sandbox._sandbox import (
    BASE_URL,
    RESOURCES,
    TEST_PRIVATE_KEY,
    TEST_PUBLIC_KEY,
    Sandbox,
)
from callsavvy_async.sandbox._serve import serve, serving

__all__ = [
    "BASE_URL",
    "EVENT_NAMES",
    "RESOURCES",
    "TEST_PRIVATE_KEY",
    "TEST_PUBLIC_KEY",
    "FaultPlan",
    "LedgerEntry",
    "Sandbox",
    "Target",
    "serve",
    "serving",
]
