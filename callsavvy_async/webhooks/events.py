"""The six webhook events Callsavvy sends, and the reply to a ringing call.

Attribute names are the payload's keys; values are decoded like API answers (durations
to int, timestamps to datetime, "" to None) and unknown keys are kept in `extra`. Phone
numbers stay as received; `caller_e164` and `visitor_e164` give them in E.164.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from callsavvy_async import _event_names as names
from callsavvy_async.recipients import InvalidNumberError, normalise_number

__all__ = [
    "EVENT_TYPES",
    "CallSummary",
    "CallerInfoReply",
    "CallerInformation",
    "ChatbotCallback",
    "Event",
    "NewChat",
    "NewTicketOpened",
    "TicketEscalated",
    "UnknownEvent",
]


def _extra() -> Any:
    return attrs.field(factory=dict, repr=False, eq=False, kw_only=True)


def _e164(number: str | None) -> str | None:
    """`number` in E.164 by the client's own rules, or None when it is not a number."""
    if number is None:
        return None
    try:
        return normalise_number(number)
    except InvalidNumberError:
        return None


@attrs.frozen(kw_only=True)
class CallerInformation:
    """A call is ringing: answer who is calling, within the deadline."""

    WIRE_NAME: ClassVar[str] = names.CALLER_INFORMATION
    REQUIRED: ClassVar[tuple[str, ...]] = ("caller_number",)
    event: str = WIRE_NAME
    caller_number: str
    call_department: str | None = None
    call_status: str | None = None
    extra: Mapping[str, Any] = _extra()

    @property
    def caller_e164(self) -> str | None:
        """`caller_number` in E.164 ("+44 7700 900123" as "+447700900123"), None if it
        is not a phone number."""
        return _e164(self.caller_number)


@attrs.frozen(kw_only=True)
class CallSummary:
    """A call has ended."""

    WIRE_NAME: ClassVar[str] = names.CALL_SUMMARY
    REQUIRED: ClassVar[tuple[str, ...]] = ("caller_number",)
    event: str = WIRE_NAME
    caller_number: str
    call_direction: str | None = None
    call_department: str | None = None
    recording_url: str | None = None
    call_duration: int | None = None
    call_status: str | None = None
    extra: Mapping[str, Any] = _extra()

    @property
    def caller_e164(self) -> str | None:
        """`caller_number` in E.164 ("+44 7700 900123" as "+447700900123"), None if it
        is not a phone number."""
        return _e164(self.caller_number)


@attrs.frozen(kw_only=True)
class NewTicketOpened:
    WIRE_NAME: ClassVar[str] = names.NEW_TICKET_OPENED
    REQUIRED: ClassVar[tuple[str, ...]] = ("ticket_id",)
    event: str = WIRE_NAME
    ticket_id: str
    ticket_department: str | None = None
    ticket_subject: str | None = None
    sender_email: str | None = None
    ticket_status: str | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class TicketEscalated:
    WIRE_NAME: ClassVar[str] = names.TICKET_ESCALATED
    REQUIRED: ClassVar[tuple[str, ...]] = ("ticket_id",)
    event: str = WIRE_NAME
    ticket_id: str
    ticket_department: str | None = None
    last_ticket_reply: dt.datetime | None = None
    ticket_subject: str | None = None
    sender_email: str | None = None
    ticket_status: str | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class NewChat:
    WIRE_NAME: ClassVar[str] = names.NEW_CHAT
    REQUIRED: ClassVar[tuple[str, ...]] = ()
    event: str = WIRE_NAME
    chat_department: str | None = None
    visitor_name: str | None = None
    visitor_email: str | None = None
    visitor_phone: str | None = None
    extra: Mapping[str, Any] = _extra()

    @property
    def visitor_e164(self) -> str | None:
        """`visitor_phone` in E.164, None if it is absent or not a phone number."""
        return _e164(self.visitor_phone)


@attrs.frozen(kw_only=True)
class ChatbotCallback:
    """A chatbot needs an answer: reply with text or HTML."""

    WIRE_NAME: ClassVar[str] = names.CHATBOT_CALLBACK
    REQUIRED: ClassVar[tuple[str, ...]] = ("original_message",)
    event: str = WIRE_NAME
    original_message: str
    sender_name: str | None = None
    bot_name: str | None = None
    department: str | None = None
    business_name: str | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class UnknownEvent:
    """An event name this version does not know; `payload` is what arrived."""

    event: str
    payload: Mapping[str, Any] = attrs.field(repr=False)


@attrs.frozen
class CallerInfoReply:
    """What the call screen shows about a ringing caller."""

    caller_name: str = ""
    caller_email: str = ""
    customer_info: str = ""

    def to_json(self) -> dict[str, str]:
        """The answer Callsavvy expects, every value a string (None as "")."""
        return {
            "status": "success",
            "caller_name": _text(self.caller_name),
            "caller_email": _text(self.caller_email),
            "customer_info": _text(self.customer_info),
        }


def _text(value: object) -> str:
    return "" if value is None else str(value)


Event = (
    CallerInformation | CallSummary | NewTicketOpened | TicketEscalated | NewChat | ChatbotCallback
)
EVENT_TYPES: dict[str, type[Event]] = {
    cls.WIRE_NAME: cls
    for cls in (
        CallerInformation,
        CallSummary,
        NewTicketOpened,
        TicketEscalated,
        NewChat,
        ChatbotCallback,
    )
}
"""Each event's class by its wire name, in the order of `EVENT_NAMES`."""
