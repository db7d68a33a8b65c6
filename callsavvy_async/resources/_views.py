"""`cs.with_raw_response`: every resource seen through its raw view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from callsavvy_async.resources.account import AccountRaw, AgentsRaw, CategoriesRaw, DepartmentsRaw
from callsavvy_async.resources.contacts import ContactGroupsRaw, ContactsRaw
from callsavvy_async.resources.conversations import CallsRaw, ChatsRaw, MessengersRaw
from callsavvy_async.resources.meetings import MeetingsRaw
from callsavvy_async.resources.messaging import RobocallsRaw, SmsRaw, WhatsappRaw
from callsavvy_async.resources.tickets import TicketsRaw

if TYPE_CHECKING:
    from callsavvy_async._client import AsyncCallsavvy

__all__ = ["WithRawResponse"]


class WithRawResponse:
    """The resources of a client in raw mode: `await cs.with_raw_response.account.summary()`
    returns a RawResponse[AccountSummary]. Bulk sends have no raw form."""

    def __init__(self, client: AsyncCallsavvy) -> None:
        self.account = AccountRaw(client.account)
        self.departments = DepartmentsRaw(client.departments)
        self.categories = CategoriesRaw(client.categories)
        self.agents = AgentsRaw(client.agents)
        self.tickets = TicketsRaw(client.tickets)
        self.calls = CallsRaw(client.calls)
        self.chats = ChatsRaw(client.chats)
        self.messengers = MessengersRaw(client.messengers)
        self.sms = SmsRaw(client.sms)
        self.robocalls = RobocallsRaw(client.robocalls)
        self.whatsapp = WhatsappRaw(client.whatsapp)
        self.meetings = MeetingsRaw(client.meetings)
        self.contacts = ContactsRaw(client.contacts)
        self.contact_groups = ContactGroupsRaw(client.contact_groups)
