"""The sandbox's account: seeded records and one handler per API resource.

Handlers take the request body and return the envelope's `data` in the vendor's formats
(numbers as strings, "YYYY-MM-DD HH:MM:SS", "true"/"false"), or raise Rejected.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import string
from collections.abc import Callable
from typing import Any

from callsavvy_async.recipients import InvalidNumberError, normalise_number
from callsavvy_async.sandbox._ledger import LedgerEntry

__all__ = ["Account", "Rejected"]

Record = dict[str, str]
Body = dict[str, Any]
TIMESTAMP = "%Y-%m-%d %H:%M:%S"
WHATSAPP_LIMIT = 30
CALL_TYPES = ("Pre-recorded-Audio", "Text-2-Speech")
TICKET_STATUSES = ("New", "Closed", "Awaiting Agent Reply", "Awaiting Customer Reply")


class Rejected(Exception):
    """The request is refused with the error envelope and this HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime(TIMESTAMP)


def _required(body: Body, *names: str) -> list[str]:
    values = []
    for name in names:
        value = body.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise Rejected(f"{name} is required")
        values.append(str(value))
    return values


def _matches_period(stamp: str, period: Any) -> bool:
    """The API's `datetime` filter: a month, a day or an exact timestamp."""
    return period is None or period == "" or stamp.startswith(str(period))


class Account:
    """One business with departments, agents, tickets, calls, chats, meetings and contacts."""

    def __init__(self, seed: int | None, clock: Callable[[], dt.datetime] = dt.datetime.now):
        self._random = random.Random(seed)
        self._clock = clock
        self.ledger: list[LedgerEntry] = []
        self.on_new_ticket: Callable[[Record], None] | None = None
        self.balances = {
            "outbound_local_call_balance": 50_000,
            "outbound_international_call_balance": 10_000,
            "inbound_call_balance": 50_000,
            "sms_balance": 1_000_000,
        }
        self._seed_directory()
        self._seed_history()
        self.handlers: dict[str, Callable[[Body], Any]] = {
            "getSummary": self.get_summary,
            "getDepartments": lambda body: list(self.departments.values()),
            "getCategories": lambda body: list(self.categories.values()),
            "getAgents": lambda body: list(self.agents.values()),
            "getTickets": self.get_tickets,
            "getTicket": self.get_ticket,
            "createTicket": self.create_ticket,
            "replyTicket": self.reply_ticket,
            "getCalls": self.get_calls,
            "getChats": self.get_chats,
            "getMessangers": self.get_messengers,
            "sendSMS": self.send_sms,
            "sendRobocall": self.send_robocall,
            "sendWhatsapp": self.send_whatsapp,
            "listMeetings": self.list_meetings,
            "getMeeting": self.get_meeting,
            "createMeeting": self.create_meeting,
            "getContacts": self.get_contacts,
            "getContactGroups": lambda body: list(self.contact_groups.values()),
            "createContact": self.create_contact,
            "deleteContact": self.delete_contact,
        }

    def new_id(self, length: int = 12) -> str:
        alphabet = string.ascii_lowercase + string.digits
        return "".join(self._random.choice(alphabet) for _ in range(length))

    def _seed_directory(self) -> None:
        self.departments: dict[str, Record] = {}
        for name in ("Sales", "Support", "Billing"):
            department_id = self.new_id(8)
            self.departments[department_id] = {
                "department_id": department_id,
                "department_name": name,
                "department_email": f"{name.lower()}@acme.example",
                "department_agents": "2",
            }
        self.categories: dict[str, Record] = {}
        for name in ("Enquiry", "Complaint", "Order"):
            category_id = self.new_id(8)
            self.categories[category_id] = {"category_id": category_id, "category_name": name}
        self.agents: dict[str, Record] = {}
        for name in (
            "Ada Obi",
            "Tunde Bello",
            "Grace Hopper",
            "Alan Kay",
            "Joan Clarke",
            "Ken Iverson",
        ):
            agent_id = self.new_id(12)
            email = name.lower().replace(" ", ".") + "@acme.example"
            self.agents[agent_id] = {"agent_id": agent_id, "agent_name": name, "agent_email": email}
        self.contact_groups: dict[str, Record] = {}
        self.contacts: dict[str, Record] = {}
        for name in ("Customers", "Newsletter"):
            group_id = self.new_id(10) + "=="
            self.contact_groups[group_id] = {"name": name, "group_id": group_id}

    def _seed_history(self) -> None:
        now = self._clock().replace(microsecond=0)
        departments = list(self.departments)
        categories = list(self.categories)
        self.tickets: dict[str, Record] = {}
        self.conversations: dict[str, list[Record]] = {}
        self.calls: list[Record] = []
        self.chats: list[Record] = []
        self.messengers: list[Record] = []
        self.meetings: dict[str, Record] = {}
        for day in range(12):
            moment = now - dt.timedelta(days=day * 3, hours=day)
            department_id = departments[day % len(departments)]
            self.calls.append(
                {
                    "call_id": self.new_id(10),
                    "datetime": _stamp(moment),
                    "direction": ("Incoming", "Outgoing")[day % 2],
                    "category": categories[day % len(categories)],
                    "duration": str(30 + day * 17),
                    "caller": f"+4479899871{day:02d}",
                    "recording_url": f"https://recordings.sandbox.invalid/{day}.mp3",
                    "department_id": department_id,
                }
            )
            self.chats.append(
                {
                    "chat_id": self.new_id(10),
                    "datetime": _stamp(moment),
                    "chat_status": ("Engaged", "Waiting")[day % 2],
                    "visitor_name": f"Visitor {day}",
                    "visitor_email": f"visitor{day}@example.com",
                    "visitor_phone": f"+2348012345{day:03d}",
                    "department_id": department_id,
                }
            )
            self.messengers.append(
                {
                    "messanger_id": self.new_id(10),
                    "datetime": _stamp(moment),
                    "chat_status": ("Waiting", "Engaged")[day % 2],
                    "visitor_name": f"Messenger visitor {day}",
                    "channel": ("whatsapp", "facebook", "instagram")[day % 3],
                    "visitor_phone": f"+2348098765{day:03d}" if day % 3 == 0 else "",
                    "department_id": department_id,
                }
            )
        for number in range(3):
            self._open_ticket(
                department_id=departments[number],
                sender_name=f"Customer {number}",
                sender_email=f"customer{number}@example.com",
                subject=f"Question {number}",
                message="Hello, I need help with my order.",
                moment=now - dt.timedelta(days=number + 1),
            )

    def get_summary(self, body: Body) -> Record:
        return {
            "assigned_number": "+2348000000000",
            "account_status": "Active",
            "business_id": "sandbox0business",
            **{name: str(value) for name, value in self.balances.items()},
        }

    def get_tickets(self, body: Body) -> list[Record]:
        return [
            ticket
            for ticket in self.tickets.values()
            if body.get("department_id") in (None, ticket["department_id"])
            and body.get("ticket_status") in (None, ticket["ticket_status"])
            and body.get("sender_email") in (None, ticket["sender_email"])
            and _matches_period(ticket["datetime"], body.get("datetime"))
        ]

    def _ticket(self, body: Body) -> Record:
        [ticket_id] = _required(body, "ticket_id")
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            raise Rejected("Ticket not found", status=200)
        return ticket

    def get_ticket(self, body: Body) -> list[Record]:
        return self.conversations[self._ticket(body)["ticket_id"]]

    def _open_ticket(
        self,
        *,
        department_id: str,
        sender_name: str,
        sender_email: str,
        subject: str,
        message: str,
        moment: dt.datetime,
    ) -> Record:
        ticket_id = self.new_id(10)
        ticket = {
            "ticket_id": ticket_id,
            "datetime": _stamp(moment),
            "ticket_status": "New",
            "last_reply": _stamp(moment),
            "subject": subject,
            "sender_name": sender_name,
            "sender_email": sender_email,
            "department_id": department_id,
        }
        self.tickets[ticket_id] = ticket
        self.conversations[ticket_id] = [self._message(moment, message, agent=None)]
        return ticket

    def _message(self, moment: dt.datetime, message: str, agent: Record | None) -> Record:
        return {
            "conversation_id": self.new_id(10),
            "datetime": _stamp(moment),
            "message": message,
            "from_agent": "true" if agent else "false",
            "agent_name": agent["agent_name"] if agent else "",
            "files": "",
        }

    def create_ticket(self, body: Body) -> Record:
        department_id, sender_name, sender_email, subject, message = _required(
            body, "department_id", "sender_name", "sender_email", "ticket_subject", "ticket_message"
        )
        if department_id not in self.departments:
            raise Rejected("Invalid department ID", status=200)
        ticket = self._open_ticket(
            department_id=department_id,
            sender_name=sender_name,
            sender_email=sender_email,
            subject=subject,
            message=message,
            moment=self._clock().replace(microsecond=0),
        )
        if self.on_new_ticket is not None:
            self.on_new_ticket(ticket)
        return {key: ticket[key] for key in ("ticket_id", "subject", "sender_name", "sender_email")}

    def reply_ticket(self, body: Body) -> Record:
        ticket = self._ticket(body)
        message, response_date = _required(body, "response_message", "response_date")
        try:
            moment = dt.datetime.strptime(response_date, TIMESTAMP)
        except ValueError:
            raise Rejected("response_date must be YYYY-MM-DD HH:MM:SS") from None
        agent_id = body.get("replying_agent_id")
        agent = self.agents.get(str(agent_id)) if agent_id else None
        if agent_id and agent is None:
            raise Rejected("Invalid agent ID", status=200)
        item = self._message(moment, message, agent)
        self.conversations[ticket["ticket_id"]].append(item)
        ticket["ticket_status"] = "Awaiting Customer Reply" if agent else "Awaiting Agent Reply"
        ticket["last_reply"] = response_date
        return {"conversation_id": item["conversation_id"], "new_status": ticket["ticket_status"]}

    def _filtered(self, records: list[Record], body: Body, *fields: str) -> list[Record]:
        return [
            record
            for record in records
            if all(body.get(name) in (None, record[key]) for name, key in fields_map(fields))
            and _matches_period(record["datetime"], body.get("datetime"))
        ]

    def get_calls(self, body: Body) -> list[Record]:
        return self._filtered(self.calls, body, "department_id", "category", "call_direction")

    def get_chats(self, body: Body) -> list[Record]:
        return self._filtered(self.chats, body, "department_id")

    def get_messengers(self, body: Body) -> list[Record]:
        return self._filtered(self.messengers, body, "department_id")

    def _recipients(self, body: Body) -> list[str]:
        [raw] = _required(body, "recipient")
        numbers = []
        for part in raw.split(","):
            try:
                numbers.append(normalise_number(part))
            except InvalidNumberError as exc:
                raise Rejected(f"Invalid recipient number: {exc.reason}") from None
        return numbers

    def _record_send(self, channel: str, numbers: list[str], message: str) -> str:
        message_id = self.new_id(16)
        moment = self._clock()
        self.ledger.extend(
            LedgerEntry(channel, number, message, message_id, moment) for number in numbers
        )
        return message_id

    def _send_status(self) -> str:
        return "queued" if self._random.random() < 0.1 else "sent"

    def send_sms(self, body: Body) -> Record:
        numbers = self._recipients(body)
        [message] = _required(body, "message")
        units = len(numbers) * max(1, math.ceil(len(message) / 160))
        self._spend("sms_balance", units, "Insufficient SMS balance")
        message_id = self._record_send("sms", numbers, message)
        return {"message_id": message_id, "cost": str(units), "status": self._send_status()}

    def send_robocall(self, body: Body) -> Record:
        call_type, message, duration = _required(body, "call_type", "message", "duration")
        if call_type not in CALL_TYPES:
            raise Rejected("call_type must be Pre-recorded-Audio or Text-2-Speech")
        if not duration.isdigit() or int(duration) < 1:
            raise Rejected("duration must be a numeric value")
        numbers = self._recipients(body)
        minutes = len(numbers) * int(duration)
        self._spend("outbound_local_call_balance", minutes, "Insufficient call balance")
        message_id = self._record_send("robocall", numbers, message)
        return {"message_id": message_id, "cost": str(minutes), "status": self._send_status()}

    def send_whatsapp(self, body: Body) -> Record:
        _required(body, "uid")
        numbers = self._recipients(body)
        [message] = _required(body, "message")
        if len(numbers) > WHATSAPP_LIMIT:
            raise Rejected(f"You can pass up to {WHATSAPP_LIMIT} recipients per call")
        self._record_send("whatsapp", numbers, message)
        return {"status": self._send_status()}

    def _spend(self, balance: str, units: int, refusal: str) -> None:
        if self.balances[balance] < units:
            raise Rejected(refusal, status=200)
        self.balances[balance] -= units

    def list_meetings(self, body: Body) -> list[Record]:
        period = body.get("datetime")
        if period is not None and len(str(period)) not in (7, 10):
            raise Rejected("datetime must be YYYY-MM-DD or YYYY-MM")
        return [
            {key: meeting[key] for key in ("meeting_id", "title", "datetime", "status")}
            for meeting in self.meetings.values()
            if _matches_period(meeting["datetime"], period)
        ]

    def get_meeting(self, body: Body) -> Record:
        [meeting_id] = _required(body, "meeting_id")
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            raise Rejected("Meeting not found", status=200)
        return meeting

    def create_meeting(self, body: Body) -> Record:
        [title] = _required(body, "title")
        host = body.get("host_agent_id")
        if host and str(host) not in self.agents:
            raise Rejected("Invalid agent ID", status=200)
        meeting_id = self.new_id(18)
        link = f"https://meet.getcallsavvy.com/meeting/{meeting_id}"
        meeting = {
            "meeting_id": meeting_id,
            "title": title,
            "datetime": _stamp(self._clock()),
            "host_agent_id": str(host or ""),
            "start_link": f"{link}?s={self.new_id(16)}",
            "join_link": link,
            "status": "Not Started",
        }
        self.meetings[meeting_id] = meeting
        return {key: value for key, value in meeting.items() if key != "datetime"}

    def get_contacts(self, body: Body) -> list[Record]:
        group_id = body.get("group_id")
        return [c for c in self.contacts.values() if group_id in (None, c["group_id"])]

    def create_contact(self, body: Body) -> Record:
        [name] = _required(body, "name")
        email, phone = body.get("email") or "", body.get("phone") or ""
        if not email and not phone:
            raise Rejected("email is required if phone is not supplied")
        group_id = str(body.get("group_id") or "")
        if group_id and group_id not in self.contact_groups:
            raise Rejected("Invalid group ID", status=200)
        contact_id = self.new_id(10) + "=="
        self.contacts[contact_id] = {
            "contact_id": contact_id,
            "name": name,
            "email": str(email),
            "phone": str(phone),
            "group_id": group_id,
        }
        return {"contact_id": contact_id, "name": name}

    def delete_contact(self, body: Body) -> Record:
        [contact_id] = _required(body, "contact_id")
        if self.contacts.pop(contact_id, None) is None:
            raise Rejected("Contact not found", status=200)
        return {"contact_id": contact_id}


def fields_map(fields: tuple[str, ...]) -> list[tuple[str, str]]:
    """Request filter names and the record keys they match (call_direction → direction)."""
    return [(name, "direction" if name == "call_direction" else name) for name in fields]
