"""Callsavvy: the sync client, a facade over AsyncCallsavvy run on a blocking portal."""

from callsavvy_async._sync._client import Callsavvy

__all__ = ["Callsavvy"]
