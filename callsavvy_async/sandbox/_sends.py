"""sendSMS, sendRobocall and sendWhatsapp: check the request, charge the balance, write
one ledger entry per recipient and answer "sent" or (now and then) "queued"."""

from __future__ import annotations

import math

from callsavvy_async.sandbox._fields import (
    Body,
    Record,
    Rejected,
    phone_number,
    required,
    required_text,
    stamp,
)
from callsavvy_async.sandbox._ledger import LedgerEntry
from callsavvy_async.sandbox._records import Handler
from callsavvy_async.sandbox._state import State

__all__ = ["SEND_HANDLERS", "sms_pages"]

WHATSAPP_LIMIT = 30
CALL_TYPES = ("Pre-recorded-Audio", "Text-2-Speech")
QUEUED_SHARE = 0.08
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")


def sms_pages(message: str) -> int:
    """SMS parts under the GSM rules: 160 (or 153 per part) GSM-7 characters, extended ones
    counting twice; 70 (or 67 per part) UCS-2 units for anything else."""
    if all(char in GSM_BASIC or char in GSM_EXTENDED for char in message):
        length = len(message) + sum(char in GSM_EXTENDED for char in message)
        single, part = 160, 153
    else:
        length = len(message.encode("utf-16-le")) // 2
        single, part = 70, 67
    return 1 if length <= single else math.ceil(length / part)


def _recipients(body: Body, limit: int | None = None) -> list[str]:
    """The numbers of the comma-separated `recipient` field, each in international format."""
    raw = required(body, "recipient")
    numbers = [phone_number(part, "recipient") for part in raw.split(",") if part.strip()]
    if not numbers:
        raise Rejected("recipient is required")
    if limit is not None and len(numbers) > limit:
        raise Rejected(f"You can pass up to {limit} recipients with each API call")
    return numbers


def _status(state: State, channel: str, numbers: list[str], message: str) -> str:
    """Mostly "sent"; "queued" for a fixed share of sends, the same for the same send
    whatever order concurrent requests arrive in."""
    queued = state.fraction(channel, ",".join(numbers), message) < QUEUED_SHARE
    return "queued" if queued else "sent"


def _charge(state: State, charges: dict[str, int], refusal: str) -> None:
    """Take every charge, or none when one balance is short (402)."""
    if any(state.balances[name] < units for name, units in charges.items()):
        raise Rejected(refusal, status=402)
    for name, units in charges.items():
        state.balances[name] -= units


def _record(state: State, channel: str, numbers: list[str], message: str) -> str:
    message_id = state.new_id(16)
    moment = state.exact_now()
    state.ledger.extend(
        LedgerEntry(channel, number, message, message_id, moment) for number in numbers
    )
    return message_id


def send_sms(state: State, body: Body) -> Record:
    numbers = _recipients(body)
    message = required_text(body, "message")
    units = len(numbers) * sms_pages(message)
    _charge(state, {"sms_balance": units}, "Insufficient SMS balance")
    message_id = _record(state, "sms", numbers, message)
    status = _status(state, "sms", numbers, message)
    return {"message_id": message_id, "cost": str(units), "status": status}


def _duration(body: Body) -> int:
    """Whole minutes, at least one: ASCII digits only and few enough for int(), as
    str.isdigit() also passes "²" and int() refuses thousands of digits."""
    text = required(body, "duration")
    if not (text.isascii() and text.isdecimal() and len(text) <= 9) or int(text) < 1:
        raise Rejected("duration must be a numeric value (minutes)")
    return int(text)


def send_robocall(state: State, body: Body) -> Record:
    call_type = required(body, "call_type")
    if call_type not in CALL_TYPES:
        raise Rejected(f"call_type must be one of: {', '.join(CALL_TYPES)}")
    numbers = _recipients(body)
    message = required_text(body, "message")
    if call_type == "Pre-recorded-Audio" and not message.startswith(("https://", "http://")):
        raise Rejected("message must be an MP3 audio file URL for Pre-recorded-Audio calls")
    minutes = _duration(body)
    local = sum(number.startswith(state.country_code) for number in numbers)
    charges = {
        "outbound_local_call_balance": local * minutes,
        "outbound_international_call_balance": (len(numbers) - local) * minutes,
    }
    _charge(state, charges, "Insufficient call balance")
    message_id = _record(state, "robocall", numbers, message)
    _log_calls(state, numbers, minutes * 60)
    status = _status(state, "robocall", numbers, message)
    return {"message_id": message_id, "cost": str(len(numbers) * minutes), "status": status}


def _log_calls(state: State, numbers: list[str], seconds: int) -> None:
    """Each robocall lands in the call log and, with a webhook target, fires callSummary."""
    moment = stamp(state.now())
    for number in numbers:
        state.calls.append(
            {
                "call_id": state.new_id(12),
                "datetime": moment,
                "direction": "Outgoing",
                "category": "",
                "duration": str(seconds),
                "caller": number,
                "recording_url": "",
                "department_id": "",
            }
        )
        state.announce(
            "callSummary",
            {
                "call_direction": "Outgoing",
                "call_department": "",
                "caller_number": number,
                "recording_url": "",
                "call_duration": str(seconds),
                "call_status": "finished",
            },
        )


def send_whatsapp(state: State, body: Body) -> Record:
    required(body, "uid")
    numbers = _recipients(body, limit=WHATSAPP_LIMIT)
    message = required_text(body, "message")
    _record(state, "whatsapp", numbers, message)
    return {"status": _status(state, "whatsapp", numbers, message)}


SEND_HANDLERS: dict[str, Handler] = {
    "sendSMS": send_sms,
    "sendRobocall": send_robocall,
    "sendWhatsapp": send_whatsapp,
}
