"""Typed answers of the Callsavvy API.

Attribute names are the API's field names. Values are Python types (int, Decimal, bool,
naive datetime in the account's time zone, tuple of URLs); an empty string from the API
is None. JSON null, an empty string and a missing key all decode alike, as the field's
empty value: None, an empty tuple for lists, and "" for a record's own id (kept a `str`
so that it can be passed straight back to a method), so one incomplete record never loses
a whole answer. Fields the API adds later are kept in `extra` rather than breaking
decoding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

__all__ = [
    "AccountSummary",
    "Agent",
    "Call",
    "Category",
    "Chat",
    "Contact",
    "ContactGroup",
    "CreatedTicket",
    "Department",
    "Meeting",
    "MessengerChat",
    "SendResult",
    "Ticket",
    "TicketMessage",
    "TicketReply",
]


def _extra() -> Any:
    return attrs.field(factory=dict, repr=False, eq=False, kw_only=True)


@attrs.frozen(kw_only=True)
class AccountSummary:
    """getSummary: the account's number, status and this month's balances."""

    assigned_number: str | None = None
    account_status: str | None = None
    business_id: str | None = None
    outbound_local_call_balance: int | None = None
    outbound_international_call_balance: int | None = None
    inbound_call_balance: int | None = None
    sms_balance: int | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class Department:
    department_id: str = ""
    department_name: str | None = None
    department_email: str | None = None
    department_agents: int | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class Category:
    category_id: str = ""
    category_name: str | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class Agent:
    agent_id: str = ""
    agent_name: str | None = None
    agent_email: str | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class Ticket:
    ticket_id: str = ""
    datetime: dt.datetime | None = None
    ticket_status: str | None = None
    last_reply: dt.datetime | None = None
    subject: str | None = None
    sender_name: str | None = None
    sender_email: str | None = None
    department_id: str | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class TicketMessage:
    """One message of a ticket's conversation (getTicket)."""

    conversation_id: str = ""
    datetime: dt.datetime | None = None
    message: str | None = None
    from_agent: bool | None = None
    agent_name: str | None = None
    files: tuple[str, ...] = ()
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class CreatedTicket:
    ticket_id: str = ""
    subject: str | None = None
    sender_name: str | None = None
    sender_email: str | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class TicketReply:
    conversation_id: str = ""
    new_status: str | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class Call:
    call_id: str = ""
    datetime: dt.datetime | None = None
    direction: str | None = None
    category: str | None = None
    duration: int | None = None
    caller: str | None = None
    recording_url: str | None = None
    department_id: str | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class Chat:
    chat_id: str = ""
    datetime: dt.datetime | None = None
    chat_status: str | None = None
    visitor_name: str | None = None
    visitor_email: str | None = None
    visitor_phone: str | None = None
    department_id: str | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class MessengerChat:
    """getMessangers: a conversation from Facebook, WhatsApp and the like."""

    messanger_id: str = ""
    datetime: dt.datetime | None = None
    chat_status: str | None = None
    visitor_name: str | None = None
    channel: str | None = None
    visitor_phone: str | None = None
    department_id: str | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class SendResult:
    """sendSMS, sendRobocall, sendWhatsapp: `status` is "sent", "queued" or "failed"."""

    status: str | None = None
    message_id: str | None = None
    cost: Decimal | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class Meeting:
    meeting_id: str = ""
    title: str | None = None
    datetime: dt.datetime | None = None
    host_agent_id: str | None = None
    start_link: str | None = None
    join_link: str | None = None
    status: str | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class Contact:
    contact_id: str = ""
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    group_id: str | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class ContactGroup:
    group_id: str = ""
    name: str | None = None
    extra: Mapping[str, Any] = _extra()
