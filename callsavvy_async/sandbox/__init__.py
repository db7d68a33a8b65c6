"""An in-memory fake of the whole Callsavvy API: use it in tests, demos and experiments.

sb = Sandbox()
async with sb.client() as cs:
    await cs.whatsapp.send("uid", "+447989987123", "hi")
assert sb.ledger[0].recipient == "+447989987123"
"""

from callsavvy_async.sandbox._faults import FaultPlan
from callsavvy_async.sandbox._ledger import LedgerEntry
from callsavvy_async.sandbox._sandbox import BASE_URL, TEST_PRIVATE_KEY, TEST_PUBLIC_KEY, Sandbox
from callsavvy_async.sandbox._serve import serve, serving

__all__ = [
    "BASE_URL",
    "TEST_PRIVATE_KEY",
    "TEST_PUBLIC_KEY",
    "FaultPlan",
    "LedgerEntry",
    "Sandbox",
    "serve",
    "serving",
]
