"""The record of every accepted send, one entry per recipient."""

from __future__ import annotations

import datetime as dt

import attrs

__all__ = ["LedgerEntry"]


@attrs.frozen
class LedgerEntry:
    """One recipient of one accepted send."""

    channel: str
    recipient: str
    message: str
    message_id: str
    time: dt.datetime
