"""The 18 resources that read or change records: account, tickets, call and chat logs,
meetings and contacts. Each handler takes the state and the request body and returns the
envelope's `data`, or raises Rejected."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from callsavvy_async.sandbox._fields import (
    TIMESTAMP,
    Body,
    Record,
    Rejected,
    choice,
    in_period,
    optional,
    period,
    phone_number,
    required,
    required_text,
)
from callsavvy_async.sandbox._state import State

__all__ = ["RECORD_HANDLERS", "Handler"]

Handler = Callable[[State, Body], Any]
TICKET_STATUSES = ("New", "Closed", "Awaiting Agent Reply", "Awaiting Customer Reply")
CALL_DIRECTIONS = ("Incoming", "Outgoing")
MEETING_LIST_FIELDS = ("meeting_id", "title", "datetime", "status")
CREATED_MEETING_FIELDS = ("meeting_id", "title", "host_agent_id", "start_link", "join_link")


def _newest_first(records: Iterable[Record]) -> list[Record]:
    return sorted(records, key=lambda record: record["datetime"], reverse=True)


def _matching(records: Iterable[Record], wanted: str | None, **fields: str | None) -> list[Record]:
    """Records in period `wanted` whose fields equal every filter given, newest first."""
    filters = [(key, value) for key, value in fields.items() if value is not None]
    return _newest_first(
        record
        for record in records
        if all(record[key] == value for key, value in filters) and in_period(record, wanted)
    )


def _found(records: dict[str, Record], body: Body, field: str, what: str) -> Record:
    """The record named by the required `field`; an unknown id is a 404."""
    record = records.get(required(body, field))
    if record is None:
        raise Rejected(f"{what} not found", status=404)
    return record


def _known(records: dict[str, Record], body: Body, field: str) -> Record | None:
    """The record an optional reference names; an unknown id is refused."""
    value = optional(body, field)
    if value is None:
        return None
    record = records.get(value)
    if record is None:
        raise Rejected(f"Invalid {field}")
    return record


def _email(body: Body, field: str, *, needed: bool) -> str:
    value = required(body, field) if needed else optional(body, field)
    if value is not None and ("@" not in value or value.startswith("@") or value.endswith("@")):
        raise Rejected(f"{field} must be a valid email address")
    return value or ""


def get_summary(state: State, body: Body) -> Record:
    return {**state.business, **{name: str(units) for name, units in state.balances.items()}}


def get_tickets(state: State, body: Body) -> list[Record]:
    email = optional(body, "sender_email")
    tickets = _matching(
        state.tickets.values(),
        period(body),
        department_id=optional(body, "department_id"),
        ticket_status=choice(body, "ticket_status", TICKET_STATUSES),
    )
    if email is None:
        return tickets
    return [ticket for ticket in tickets if ticket["sender_email"].lower() == email.lower()]


def get_ticket(state: State, body: Body) -> list[Record]:
    ticket = _found(state.tickets, body, "ticket_id", "Ticket")
    return list(state.conversations[ticket["ticket_id"]])


def create_ticket(state: State, body: Body) -> Record:
    department_id = required(body, "department_id")
    fields = {
        "sender_name": required(body, "sender_name"),
        "sender_email": _email(body, "sender_email", needed=True),
        "subject": required(body, "ticket_subject"),
        "message": required_text(body, "ticket_message"),
    }
    if department_id not in state.departments:
        raise Rejected("Invalid department_id")
    ticket = state.add_ticket(department_id=department_id, moment=state.now(), **fields)
    state.announce(
        "newTicketOpened",
        {
            "ticket_id": ticket["ticket_id"],
            "ticket_department": department_id,
            "ticket_subject": ticket["subject"],
            "sender_email": ticket["sender_email"],
            "ticket_status": ticket["ticket_status"],
        },
    )
    return {key: ticket[key] for key in ("ticket_id", "subject", "sender_name", "sender_email")}


def reply_ticket(state: State, body: Body) -> Record:
    ticket = _found(state.tickets, body, "ticket_id", "Ticket")
    message = required_text(body, "response_message")
    try:
        moment = dt.datetime.strptime(required(body, "response_date"), TIMESTAMP)
    except ValueError:
        raise Rejected("response_date must be YYYY-MM-DD HH:MM:SS") from None
    agent = _known(state.agents, body, "replying_agent_id")
    item = state.add_reply(ticket, message, moment, agent)
    return {"conversation_id": item["conversation_id"], "new_status": ticket["ticket_status"]}


def get_calls(state: State, body: Body) -> list[Record]:
    return _matching(
        state.calls,
        period(body),
        department_id=optional(body, "department_id"),
        category=optional(body, "category"),
        direction=choice(body, "call_direction", CALL_DIRECTIONS),
    )


def get_chats(state: State, body: Body) -> list[Record]:
    return _matching(state.chats, period(body), department_id=optional(body, "department_id"))


def get_messengers(state: State, body: Body) -> list[Record]:
    return _matching(state.messengers, period(body), department_id=optional(body, "department_id"))


def list_meetings(state: State, body: Body) -> list[Record]:
    meetings = _matching(state.meetings.values(), period(body, lengths=(7, 10)))
    return [{key: meeting[key] for key in MEETING_LIST_FIELDS} for meeting in meetings]


def get_meeting(state: State, body: Body) -> Record:
    return dict(_found(state.meetings, body, "meeting_id", "Meeting"))


def create_meeting(state: State, body: Body) -> Record:
    title = required(body, "title")
    host = _known(state.agents, body, "host_agent_id")
    meeting = state.add_meeting(title, host["agent_id"] if host else "", state.now())
    return {key: meeting[key] for key in (*CREATED_MEETING_FIELDS, "status")}


def get_contacts(state: State, body: Body) -> list[Record]:
    group_id = optional(body, "group_id")
    contacts = state.contacts.values()
    return [contact for contact in contacts if group_id in (None, contact["group_id"])]


def create_contact(state: State, body: Body) -> Record:
    name = required(body, "name")
    email = _email(body, "email", needed=False)
    phone = optional(body, "phone")
    phone = phone_number(phone, "phone") if phone else ""
    if not email and not phone:
        raise Rejected("email is required if phone is not supplied")
    group = _known(state.contact_groups, body, "group_id")
    contact = state.add_contact(name, email, phone, group["group_id"] if group else "")
    return {"contact_id": contact["contact_id"], "name": contact["name"]}


def delete_contact(state: State, body: Body) -> Record:
    contact = _found(state.contacts, body, "contact_id", "Contact")
    del state.contacts[contact["contact_id"]]
    return {"contact_id": contact["contact_id"]}


RECORD_HANDLERS: dict[str, Handler] = {
    "getSummary": get_summary,
    "getDepartments": lambda state, body: list(state.departments.values()),
    "getCategories": lambda state, body: list(state.categories.values()),
    "getAgents": lambda state, body: list(state.agents.values()),
    "getTickets": get_tickets,
    "getTicket": get_ticket,
    "createTicket": create_ticket,
    "replyTicket": reply_ticket,
    "getCalls": get_calls,
    "getChats": get_chats,
    "getMessangers": get_messengers,
    "listMeetings": list_meetings,
    "getMeeting": get_meeting,
    "createMeeting": create_meeting,
    "getContacts": get_contacts,
    "getContactGroups": lambda state, body: list(state.contact_groups.values()),
    "createContact": create_contact,
    "deleteContact": delete_contact,
}
