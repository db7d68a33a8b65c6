"""The sandbox's account: every record the API can return, the balances, the ledger of
sends and the webhook events that state changes produce."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets
import string
from collections.abc import Callable

from callsavvy_async.sandbox._fields import Record, stamp
from callsavvy_async.sandbox._ledger import LedgerEntry

__all__ = ["Event", "State"]

Event = tuple[str, Record]
"""A webhook event waiting to be fired: its name and the fields the change decided."""

_ID_ALPHABET = string.ascii_lowercase + string.digits


class State:
    """One business on Callsavvy, held in plain dicts of vendor-formatted strings.

    Identifiers come from a generator seeded with `seed`, so the same seed and the same
    requests give the same ids; `fraction()` gives answers that stay the same whatever
    order concurrent requests arrive in.
    """

    def __init__(
        self, seed: int | None, clock: Callable[[], dt.datetime] = dt.datetime.now
    ) -> None:
        self.random = random.Random(seed)
        self._hash_key = (
            hashlib.blake2b(repr(seed).encode(), digest_size=32).digest()
            if seed is not None
            else secrets.token_bytes(32)
        )
        self._clock = clock
        self.business: Record = {}
        self.business_name = ""
        self.country_code = ""
        self.balances: dict[str, int] = {}
        self.departments: dict[str, Record] = {}
        self.categories: dict[str, Record] = {}
        self.agents: dict[str, Record] = {}
        self.tickets: dict[str, Record] = {}
        self.conversations: dict[str, list[Record]] = {}
        self.calls: list[Record] = []
        self.chats: list[Record] = []
        self.messengers: list[Record] = []
        self.meetings: dict[str, Record] = {}
        self.contact_groups: dict[str, Record] = {}
        self.contacts: dict[str, Record] = {}
        self.ledger: list[LedgerEntry] = []
        self.outbox: list[Event] | None = None

    def now(self) -> dt.datetime:
        """The current time to the second, as the API reports times."""
        return self._clock().replace(microsecond=0)

    def exact_now(self) -> dt.datetime:
        return self._clock()

    def new_id(self, length: int = 12) -> str:
        return "".join(self.random.choices(_ID_ALPHABET, k=length))

    def fraction(self, *parts: str) -> float:
        """A number in [0, 1) fixed by the seed and `parts` alone."""
        digest = hashlib.blake2b("\x1f".join(parts).encode(), key=self._hash_key, digest_size=8)
        return int.from_bytes(digest.digest(), "big") / 2**64

    def add_ticket(
        self,
        *,
        department_id: str,
        sender_name: str,
        sender_email: str,
        subject: str,
        message: str,
        moment: dt.datetime,
        files: str = "",
    ) -> Record:
        """Open a ticket whose conversation starts with the customer's `message`."""
        ticket_id = self.new_id(10)
        ticket = {
            "ticket_id": ticket_id,
            "datetime": stamp(moment),
            "ticket_status": "New",
            "last_reply": stamp(moment),
            "subject": subject,
            "sender_name": sender_name,
            "sender_email": sender_email,
            "department_id": department_id,
        }
        self.tickets[ticket_id] = ticket
        self.conversations[ticket_id] = [self._message(moment, message, None, files)]
        return ticket

    def add_reply(
        self,
        ticket: Record,
        message: str,
        moment: dt.datetime,
        agent: Record | None,
        files: str = "",
    ) -> Record:
        """Append a reply from `agent` (None: the customer); the ticket then awaits the
        other side."""
        item = self._message(moment, message, agent, files)
        self.conversations[ticket["ticket_id"]].append(item)
        ticket["ticket_status"] = "Awaiting Customer Reply" if agent else "Awaiting Agent Reply"
        ticket["last_reply"] = item["datetime"]
        return item

    def _message(
        self, moment: dt.datetime, message: str, agent: Record | None, files: str
    ) -> Record:
        return {
            "conversation_id": self.new_id(12),
            "datetime": stamp(moment),
            "message": message,
            "from_agent": "true" if agent else "false",
            "agent_name": agent["agent_name"] if agent else "",
            "files": files,
        }

    def add_meeting(
        self, title: str, host_agent_id: str, moment: dt.datetime, status: str = "Not Started"
    ) -> Record:
        """A meeting with the host's start link and the guests' join link."""
        meeting_id = self.new_id(18)
        join_link = f"https://meet.getcallsavvy.com/meeting/{meeting_id}"
        meeting = {
            "meeting_id": meeting_id,
            "title": title,
            "datetime": stamp(moment),
            "host_agent_id": host_agent_id,
            "start_link": f"{join_link}?s={self.new_id(16)}",
            "join_link": join_link,
            "status": status,
        }
        self.meetings[meeting_id] = meeting
        return meeting

    def add_contact(self, name: str, email: str, phone: str, group_id: str) -> Record:
        contact_id = self.new_id(10) + "=="
        contact = {
            "contact_id": contact_id,
            "name": name,
            "email": email,
            "phone": phone,
            "group_id": group_id,
        }
        self.contacts[contact_id] = contact
        return contact

    def announce(self, event: str, fields: Record) -> None:
        """Queue a webhook event, when a webhook target is listening."""
        if self.outbox is not None:
            self.outbox.append((event, fields))

    def take_events(self) -> list[Event]:
        """The events queued since the last call (by the request just handled)."""
        if not self.outbox:
            return []
        events = self.outbox
        self.outbox = []
        return events
